/**
 * A key's allowed markets and limits apply to the operation as it runs (issue 12, finding 2):
 * variable defaults, fragments, aliases and the selected operation of a multi-operation document
 * cannot smuggle a symbol of another market past a CRYPTO-only key, on every field that takes
 * symbols, over HTTP, SSE and graphql-ws.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createClient as createWsClient } from 'graphql-ws';
import { collect, dispose, startStack, type Stack } from '../../support/helpers.js';

afterEach(dispose);

const CRYPTO_KEY = 'crypto-only-key-9876543210';
const CHEAP_KEY = 'cheap-queries-key-0123456789';

function keysFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'alltick-keys-'));
  const path = join(dir, 'keys.json');
  writeFileSync(
    path,
    JSON.stringify({
      keys: [
        { name: 'crypto-desk', key: CRYPTO_KEY, markets: ['CRYPTO'] },
        { name: 'cheap', key: CHEAP_KEY, limits: { maxQueryComplexity: 20 } },
      ],
    }),
  );
  return path;
}

type GqlError = { message: string; extensions?: Record<string, unknown> };
type Result = { data?: unknown; errors?: readonly GqlError[] };

async function post(stack: Stack, body: Record<string, unknown>, key = CRYPTO_KEY) {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Result };
}

/** Queries that ask for US data without a US symbol in their arguments or variables. */
const SMUGGLED_QUERIES: [string, Record<string, unknown>][] = [
  ['list variable default', { query: 'query($s: [String!]! = ["AAPL.US"]) { quotes(symbols: $s) { price } }' }],
  ['single variable default', { query: 'query($s: String! = "AAPL.US") { quote(symbol: $s) { price } }' }],
  ['default inside a fragment', { query: 'query($s: String! = "AAPL.US") { ...F } fragment F on Query { orderBook(symbol: $s) { seq } }' }],
  ['alias and inline fragment', { query: 'query($s: String! = "AAPL.US") { ... on Query { mine: recentTrades(symbol: $s) { price } } }' }],
  ['candles', { query: 'query($s: String! = "AAPL.US") { candles(symbol: $s, interval: MINUTE_1) { close } }' }],
  ['staticInfo', { query: 'query($s: String! = "AAPL.US") { staticInfo(symbol: $s) { currency } }' }],
  [
    'the selected operation of several',
    { query: 'query A { quote(symbol: "BTCUSDT") { price } } query B($s: String! = "AAPL.US") { quote(symbol: $s) { price } }', operationName: 'B' },
  ],
  ['a null list variable with a default', { query: 'query($s: [String!] = ["AAPL.US"]) { quotes(symbols: $s) { price } }', variables: {} }],
];

const SMUGGLED_SUBSCRIPTIONS: [string, string][] = [
  ['quotes', 'subscription($s: [String!]! = ["AAPL.US"]) { quotes(symbols: $s) { price } }'],
  ['trades', 'subscription($s: [String!]! = ["AAPL.US"]) { trades(symbols: $s) { price } }'],
  ['orderBook', 'subscription($s: String! = "AAPL.US") { orderBook(symbol: $s) { seq } }'],
  ['candles', 'subscription($s: String! = "AAPL.US") { ...C } fragment C on Subscription { candles(symbol: $s, interval: MINUTE_1) { close } }'],
];

const expectForbidden = (errors: readonly GqlError[] | undefined) =>
  expect(errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', symbol: 'AAPL.US', market: 'US' });

describe('market restrictions apply to the operation as executed', () => {
  it('HTTP: variable defaults, fragments, aliases and operation selection cannot smuggle a US symbol', async () => {
    const stack = await startStack({ env: { API_KEYS_FILE: keysFile() } });
    for (const [name, body] of SMUGGLED_QUERIES) {
      const res = await post(stack, body);
      expect(res.status, name).toBe(403);
      expectForbidden(res.body.errors);
      expect(res.body.data ?? null, name).toBeNull();
    }
    // the same documents with an allowed symbol still work, and an explicit variable beats the default
    const allowed = await post(stack, { query: 'query($s: [String!]! = ["AAPL.US"]) { quotes(symbols: $s) { symbol } }', variables: { s: ['BTCUSDT'] } });
    expect(allowed.body).toEqual({ data: { quotes: [{ symbol: 'BTCUSDT' }] } });
  });

  it('SSE and graphql-ws: subscriptions with a US default are refused and lease nothing', async () => {
    const stack = await startStack({ env: { API_KEYS_FILE: keysFile() } });
    const ws = createWsClient({ url: stack.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: { apiKey: CRYPTO_KEY } });
    try {
      for (const [name, query] of SMUGGLED_SUBSCRIPTIONS) {
        const sse = await fetch(stack.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${CRYPTO_KEY}` },
          body: JSON.stringify({ query }),
        });
        const text = await sse.text();
        expect(sse.status, name).toBe(403);
        expect(text, name).toMatch(/"code":"FORBIDDEN","symbol":"AAPL.US"/);
        expect(text, name).not.toContain('"data"');

        const sub = collect<Result>(ws.iterate({ query }) as AsyncIterableIterator<Result>);
        await vi.waitFor(() => expect(sub.done, name).toBe(true));
        expectForbidden(sub.items.flatMap((r) => r.errors ?? []));
        expect(
          sub.items.some((r) => r.data),
          name,
        ).toBe(false);
      }
      expect(stack.server.feed.manager.totalRefs).toBe(0);
      expect(stack.sim.sessions({ endpoint: 'stock' }).flatMap((s) => s.tradeList)).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });

  it('the complexity limit counts the symbols of a variable default', async () => {
    const stack = await startStack({ env: { API_KEYS_FILE: keysFile() } });
    const symbols = JSON.stringify(['BTCUSDT', 'ETHUSDT', 'EURUSD', 'GOLD', 'AAPL.US', 'MSFT.US', 'TSLA.US', 'NVDA.US']);
    const fields = 'symbol price volume time seq';
    const literal = await post(stack, { query: `{ quotes(symbols: ${symbols}) { ${fields} } }` }, CHEAP_KEY);
    expect(literal.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const viaDefault = await post(stack, { query: `query($s: [String!]! = ${symbols}) { quotes(symbols: $s) { ${fields} } }` }, CHEAP_KEY);
    expect(viaDefault.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', complexity: literal.body.errors?.[0]?.extensions?.complexity });
  });
});
