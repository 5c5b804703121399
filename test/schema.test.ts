import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedSchema } from '../src/schema/index.js';

describe('schema.graphql', () => {
  it('is up to date with the Pothos schema (run `npm run schema:print` when this fails)', () => {
    const checkedIn = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(checkedIn).toBe(printedSchema());
  });

  it('has the fixed names and shapes of SPEC §4', () => {
    const sdl = printedSchema();
    for (const line of [
      'scalar Decimal',
      'scalar DateTime',
      'quote(depth: Int = 5, symbol: String!): Quote',
      'quotes(depth: Int = 5, symbols: [String!]!): [Quote]!',
      'quotes(depth: Int = 5, symbols: [String!]!): Quote!',
      'price: Decimal!',
      'volume: Decimal!',
      'bids: [PriceLevel!]!',
      'asks: [PriceLevel!]!',
      'seq: String',
      'time: DateTime',
    ]) {
      expect(sdl).toContain(line);
    }
  });
});
