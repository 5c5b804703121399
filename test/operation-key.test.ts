import { describe, expect, it } from 'vitest';
import { parse, type ExecutionArgs } from 'graphql';
import { schema } from '../src/schema/index.js';
import { sharedOperation } from '../src/http/fanout/operation-key.js';

function op(query: string, variables?: Record<string, unknown>, visibility = '', operationName?: string) {
  const args: ExecutionArgs = { schema, document: parse(query), variableValues: variables ?? null, operationName: operationName ?? null };
  return sharedOperation(args, visibility);
}

const Q = 'subscription Q($s: [String!]!, $d: Int) { quotes(symbols: $s, depth: $d) { symbol price } }';

describe('sharedOperation keys', () => {
  it('equal for operations that produce the same events', () => {
    const base = op(Q, { s: ['AAPL.US', 'MSFT.US'], d: 5 })!;
    expect(base).not.toBeNull();
    for (const same of [
      op(Q, { s: ['MSFT.US', 'AAPL.US'] }), // sorted; depth default applied
      op(Q, { s: ['MSFT.US', 'AAPL.US', 'MSFT.US'], d: 5 }), // repeats
      op('subscription Other($s: [String!]!) {\n  quotes(symbols: $s) {\n    symbol\n    price\n  }\n}', { s: ['AAPL.US', 'MSFT.US'] }),
      op('subscription { quotes(symbols: ["MSFT.US", "AAPL.US"], depth: 5) { symbol price } }'), // inline
      op('subscription A { quotes(symbols: ["AAPL.US"]) { symbol } } subscription B { quotes(symbols: ["AAPL.US", "MSFT.US"]) { symbol price } }', {}, '', 'B'),
    ]) {
      expect(same?.key).toBe(base.key);
    }
  });

  it('different when the events differ, with one shape for groups that differ only in symbols', () => {
    const base = op(Q, { s: ['AAPL.US'] })!;
    const others = [
      op(Q, { s: ['AAPL.US'], d: 1 }),
      op('subscription Q($s: [String!]!) { quotes(symbols: $s) { symbol } }', { s: ['AAPL.US'] }),
      op('subscription Q($s: [String!]!) { q: quotes(symbols: $s) { symbol price } }', { s: ['AAPL.US'] }),
      op('subscription Q($s: [String!]!) { quotes(symbols: $s, throttleMs: 500) { symbol price } }', { s: ['AAPL.US'] }),
      op('subscription Q($s: [String!]!, $b: Boolean!) { quotes(symbols: $s) { symbol price @include(if: $b) } }', { s: ['AAPL.US'], b: true }),
      op(Q, { s: ['AAPL.US'] }, 'api-key-2'),
    ];
    const keys = new Set([base.key, ...others.map((o) => o?.key)]);
    expect(keys.size).toBe(others.length + 1);
    expect(op(Q, { s: ['MSFT.US'] })?.shapeKey).toBe(base.shapeKey);
    expect(op(Q, { s: ['MSFT.US'] })?.key).not.toBe(base.key);
  });

  it('null for what must take the ordinary path', () => {
    expect(op('query { quotes(symbols: ["AAPL.US"]) { symbol } }')).toBeNull();
    expect(op('subscription { feedStatus { connected } }')).toBeNull();
    expect(op('subscription { quotes(symbols: ["AAPL.US"]) { symbol } __typename }')).toBeNull();
    expect(op('subscription { ...F } fragment F on Subscription { quotes(symbols: ["AAPL.US"]) { symbol } }')).toBeNull();
    expect(op('subscription($x: Boolean!) { quotes(symbols: ["AAPL.US"]) @include(if: $x) { symbol } }', { x: true })).toBeNull();
    expect(op(Q, { s: 'AAPL.US', d: 'five' })).toBeNull(); // variable errors are reported by the ordinary path
    // a resume replays for its client alone: a joiner of a running group would miss the replay
    const resume = 'subscription($s: [String!]!, $a: [String!]) { trades(symbols: $s, after: $a) { seq } }';
    expect(op(resume, { s: ['BTCUSDT'], a: ['x'] })).toBeNull();
    expect(op(resume, { s: ['BTCUSDT'] })).not.toBeNull(); // no cursor: shared as usual
    expect(op('subscription { quotes(symbols: ["AAPL.US"], after: ["x"]) { symbol } }')).toBeNull();
  });
});
