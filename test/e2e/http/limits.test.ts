/**
 * Client limits (docs/operations.md "Limits"), each configured small through the environment and hit
 * with a real client: every one answers with a clear error or close code, and none costs an
 * upstream request.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { Cmd } from '../../../src/feed/alltick/protocol.js';
import { collect, dispose, gql, QUOTES_SUBSCRIPTION, startStack, wsClient, type Stack } from '../../support/helpers.js';

afterEach(dispose);

type Result = { data?: unknown; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] };
const errorsOf = (sub: { items: Result[]; errors: unknown[] }) => [
  ...sub.items.flatMap((r) => r.errors ?? []),
  ...(sub.errors.flatMap((e) => (Array.isArray(e) ? e : [e])) as { message: string; extensions?: Record<string, unknown> }[]),
];
const subscribeFrames = (stack: Stack) => stack.sim.record.frames.filter((f) => f.cmd_id === Cmd.SubscribeTrade || f.cmd_id === Cmd.SubscribeDepth);

/** Opens a raw graphql-transport-ws socket (acknowledged unless `init` is false). */
async function rawSocket(
  stack: Stack,
  init = true,
): Promise<{ ws: WebSocket; messages: Record<string, unknown>[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(stack.wsUrl, 'graphql-transport-ws');
  const messages: Record<string, unknown>[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  if (init) {
    ws.send(JSON.stringify({ type: 'connection_init' }));
    await vi.waitFor(() => expect(messages.some((m) => m.type === 'connection_ack')).toBe(true));
  }
  return { ws, messages, closed };
}

/** The HTTP status of an upgrade that is refused. */
function refusedUpgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws');
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('upgrade accepted'));
    });
    ws.once('error', () => {});
  });
}

describe('limits', () => {
  it('subscriptions per connection: the one too many gets TOO_MANY_SUBSCRIPTIONS; completing one makes room', async () => {
    const stack = await startStack({ env: { MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' } });
    const client = wsClient(stack);
    const iterate = (symbols: string[]) =>
      collect<Result>(client.iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols, depth: 0 } }) as AsyncIterableIterator<Result>);
    const first = iterate(['AAPL.US']);
    iterate(['MSFT.US']);
    await vi.waitFor(() => expect(stack.server.feed.manager.leaseCount).toBe(2));
    const third = iterate(['TSLA.US']);
    await vi.waitFor(() => expect(third.done).toBe(true));
    expect(errorsOf(third)[0]).toMatchObject({
      message: expect.stringMatching(/too many subscriptions on this connection: at most 2/),
      extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
    });
    expect(stack.server.feed.manager.refCount('TSLA.US')).toBe(0);

    await first.stop();
    const fourth = iterate(['NVDA.US']);
    await vi.waitFor(() => expect(stack.server.feed.manager.refCount('NVDA.US')).toBe(1));
    expect(fourth.done).toBe(false);
  });

  it('connections per address: WebSocket upgrades and HTTP requests over the limit get HTTP 429', async () => {
    const stack = await startStack({ env: { MAX_CONNECTIONS_PER_ADDRESS: '2' } });
    const a = await rawSocket(stack);
    const b = await rawSocket(stack);
    const refused = await refusedUpgrade(stack.wsUrl);
    expect(refused.status).toBe(429);
    const http = await gql(stack, '{ feedStatus { connected } }');
    expect(http.status).toBe(429);
    expect(http.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/too many connections from .*: at most 2/),
      extensions: { code: 'TOO_MANY_CONNECTIONS' },
    });

    a.ws.close();
    await a.closed;
    await vi.waitFor(async () => expect((await gql(stack, '{ feedStatus { connected } }')).status).toBe(200));
    b.ws.close();
  });

  it('operations per second per client: past the burst, RATE_LIMITED with HTTP 429 and Retry-After, on HTTP and graphql-ws', async () => {
    const stack = await startStack({ env: { OPERATIONS_PER_SECOND: '0.1', OPERATIONS_BURST: '3' } }); // no token refills during the test
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 4; i++) {
      const res = await fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ feedStatus { connected } }' }),
      });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else await res.arrayBuffer();
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses[3]).toBe(429);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(5); // a token comes back 10 s after the last one went
    expect(Number(limited?.headers.get('retry-after'))).toBeLessThanOrEqual(10);
    const body = (await limited?.json()) as Result;
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/too many operations: at most 0\.1 per second \(bursts of 3\); retry in \d+ s/),
      extensions: { code: 'RATE_LIMITED' },
    });
    expect(JSON.stringify(body)).not.toContain('"http"'); // Yoga keeps the status out of the body

    const sub = collect<Result>(
      wsClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['AAPL.US'], depth: 0 } }) as AsyncIterableIterator<Result>,
    );
    await vi.waitFor(() => expect(sub.done).toBe(true));
    expect(errorsOf(sub)[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(subscribeFrames(stack)).toHaveLength(0);
    expect(stack.server.guards.refusals.get('RATE_LIMITED')).toBe(2); // counted for metrics
  });

  it('query depth and complexity (symbols × depth) are refused before execution, with the measured figures', async () => {
    const stack = await startStack({ env: { MAX_QUERY_DEPTH: '3', MAX_QUERY_COMPLEXITY: '50' } });
    const deep = await gql(stack, '{ feedStatus { connections { lastError { ret } } } }');
    expect(deep.status).toBe(400);
    expect(deep.body.errors?.[0]).toMatchObject({ message: 'query too deep: depth 4, at most 3', extensions: { code: 'QUERY_TOO_DEEP' } });

    const symbols = ['AAPL.US', 'MSFT.US', 'TSLA.US', 'NVDA.US', 'AMZN.US'];
    // 5 symbols × depth 5 = 25, plus 5 × (symbol + price) = 10: 35 fits; depth 10 costs 50 + 10 = 60
    const fits = await gql(stack, 'query($s: [String!]!) { quotes(symbols: $s, depth: 5) { symbol price } }', { s: symbols });
    expect(fits.body.errors).toBeUndefined();
    const costly = await gql(stack, 'query($s: [String!]!) { quotes(symbols: $s, depth: 10) { symbol price } }', { s: symbols });
    expect(costly.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^query too complex: cost 60, at most 50 /),
      extensions: { code: 'QUERY_TOO_COMPLEX' },
    });

    const sub = collect<Result>(wsClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols, depth: 10 } }) as AsyncIterableIterator<Result>);
    await vi.waitFor(() => expect(sub.done).toBe(true));
    expect(errorsOf(sub)[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX' });
    expect(subscribeFrames(stack)).toHaveLength(0);
    expect(stack.server.feed.manager.leaseCount).toBe(0);
  });

  it('HTTP body size: 413 over MAX_BODY_BYTES; WebSocket messages over WS_MAX_PAYLOAD_BYTES close with 1009', async () => {
    const stack = await startStack({ env: { MAX_BODY_BYTES: '2048', WS_MAX_PAYLOAD_BYTES: '2048' } });
    const padding = ' '.repeat(4096);
    const res = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ feedStatus { connected } }${padding}` }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as Result).errors?.[0]).toMatchObject({
      message: 'request body too large: at most 2048 bytes',
      extensions: { code: 'PAYLOAD_TOO_LARGE' },
    });
    expect((await gql(stack, '{ feedStatus { connected } }')).status).toBe(200);

    const socket = await rawSocket(stack);
    socket.ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ feedStatus { connected } }${padding}` } }));
    expect((await socket.closed).code).toBe(1009);
  });

  it('connection-init timeout: a socket that never sends connection_init is closed with 4408; one that sent it stays', async () => {
    const stack = await startStack({ env: { CONNECTION_INIT_TIMEOUT_MS: '300' } });
    const initialised = await rawSocket(stack); // opened first: its wait would end first
    const socket = await rawSocket(stack, false);
    const started = Date.now();
    const { code } = await socket.closed;
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(initialised.ws.readyState).toBe(WebSocket.OPEN);
    initialised.ws.close();
  });

  it('symbols per subscription (MAX_SYMBOLS) names the count and the limit', async () => {
    const stack = await startStack({ env: { MAX_SYMBOLS: '2' } });
    const { body } = await gql(stack, '{ quotes(symbols: ["AAPL.US", "MSFT.US", "TSLA.US"]) { symbol } }');
    expect(body.errors?.[0]?.message).toBe('too many symbols: 3 given, at most 2 per request');
  });
});
