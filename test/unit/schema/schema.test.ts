import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isNonNullType } from 'graphql';
import { printedSchema, schema } from '../../../src/schema/index.js';

describe('schema.graphql', () => {
  it('is up to date with the Pothos schema (run `npm run schema:print` when this fails)', () => {
    const checkedIn = readFileSync(new URL('../../../schema.graphql', import.meta.url), 'utf8');
    expect(checkedIn).toBe(printedSchema());
  });

  it('has the fixed names and shapes of SPEC §4', () => {
    const sdl = printedSchema();
    for (const line of [
      'scalar Decimal',
      'scalar DateTime',
      'quote(depth: Int = 5, symbol: String!): Quote',
      'quotes(depth: Int = 5, symbols: [String!]!): [Quote]!',
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

  it('keeps Subscription.quotes(symbols: [String!]!, depth: Int = 5): Quote!; any added argument is optional', () => {
    const field = schema.getSubscriptionType()!.getFields()['quotes']!;
    expect(String(field.type)).toBe('Quote!');
    const args = Object.fromEntries(field.args.map((a) => [a.name, a]));
    expect(String(args['symbols']?.type)).toBe('[String!]!');
    expect(String(args['depth']?.type)).toBe('Int');
    expect(args['depth']?.defaultValue).toBe(5);
    for (const arg of field.args.filter((a) => !['symbols', 'depth'].includes(a.name))) {
      expect(isNonNullType(arg.type) && arg.defaultValue === undefined, `${arg.name} must be optional`).toBe(false);
    }
  });
});
