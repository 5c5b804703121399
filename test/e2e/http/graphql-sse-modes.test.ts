/**
 * graphql-sse's client in both of its modes against /graphql/stream: distinct connections (one
 * SSE request per operation) and single connection (a reserved stream, operations posted with its
 * token). With API keys on, the stream endpoint asks for a key like /graphql does, and a key
 * limited to some markets is held to them there too.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-sse';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../src/clients/error-codes.js';
import { collect, dispose, QUOTES_SUBSCRIPTION, startStack } from '../../support/helpers.js';

afterEach(dispose);

const streamUrl = (graphqlUrl: string) => `${graphqlUrl}/stream`;

describe.each([false, true])('graphql-sse, singleConnection: %s', (singleConnection) => {
  it('streams a subscription and answers a query', async () => {
    const stack = await startStack({ sim: { ticksPerSecond: 20 } });
    const client = createClient({ url: streamUrl(stack.url), singleConnection, retryAttempts: 0 });
    try {
      const quotes = collect(client.iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['EURUSD', 'GOLD'], depth: 1 } }));
      await vi.waitFor(() => expect(quotes.items.length).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
      expect(quotes.errors).toEqual([]);
      const once = collect(client.iterate({ query: '{ quote(symbol: "AAPL.US", depth: 1) { id symbol } }' }));
      await vi.waitFor(() => expect(once.done).toBe(true), { timeout: 10_000 });
      expect(once.items).toEqual([{ data: { quote: { id: 'AAPL.US:1', symbol: 'AAPL.US' } } }]);
    } finally {
      client.dispose();
    }
  });
});

it('with API keys, the stream endpoint needs one and keeps a key to its markets', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alltick-keys-'));
  const keys = join(dir, 'keys.json');
  writeFileSync(keys, JSON.stringify({ keys: [{ name: 'crypto', key: 'crypto-only-key-0123456789', markets: ['CRYPTO'] }] }));
  const stack = await startStack({ env: { API_KEYS_FILE: keys } });
  const anonymous = await fetch(streamUrl(stack.url), { method: 'PUT' });
  expect(anonymous.status).toBe(401);
  // single-connection mode by hand: reserve a stream, then post an operation with its token
  const authorization = 'Bearer crypto-only-key-0123456789';
  const reserved = await fetch(streamUrl(stack.url), { method: 'PUT', headers: { authorization } });
  expect(reserved.status).toBe(201);
  const token = await reserved.text();
  const operation = (symbol: string) =>
    fetch(streamUrl(stack.url), {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json', 'x-graphql-event-stream-token': token },
      body: JSON.stringify({ query: `{ quote(symbol: "${symbol}", depth: 1) { symbol } }`, extensions: { operationId: symbol } }),
    });
  const refused = await operation('AAPL.US');
  expect(refused.status).toBe(202); // accepted: its result (here the refusal) goes down the reserved stream
  const stream = await fetch(`${streamUrl(stack.url)}?token=${token}`, { headers: { authorization, accept: 'text/event-stream' } });
  const reader = stream.body!.getReader();
  let text = '';
  while (!text.includes('FORBIDDEN')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  expect(text).toContain(`"code":"${ErrorCode.Forbidden}"`);
});
