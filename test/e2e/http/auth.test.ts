/**
 * Optional client authentication (API_KEYS_FILE): keys on HTTP, SSE and graphql-ws, per-key
 * markets and limits, GraphiQL and introspection switches.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import { loadConfig } from '../../../src/config.js';
import { ClientGuards } from '../../../src/http/client-guards.js';
import { startServer } from '../../../src/server.js';
import { collect, dispose, QUOTES_SUBSCRIPTION, startStack, type Stack } from '../../support/helpers.js';

afterEach(dispose);

const FULL_KEY = 'full-access-key-0123456789';
const CRYPTO_KEY = 'crypto-only-key-9876543210';

function keysFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'alltick-keys-'));
  const path = join(dir, 'keys.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const KEYS = {
  keys: [
    { name: 'full', key: FULL_KEY },
    { name: 'crypto-desk', key: CRYPTO_KEY, markets: ['CRYPTO', 'FOREX'], limits: { maxSymbols: 2 } },
  ],
};

type Result = { data?: unknown; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] };
const errorsOf = (sub: { items: Result[]; errors: unknown[] }) => [
  ...sub.items.flatMap((r) => r.errors ?? []),
  ...(sub.errors.flatMap((e) => (Array.isArray(e) ? e : [e])) as { message: string; extensions?: Record<string, unknown> }[]),
];

async function post(stack: Stack, query: string, key?: string, variables?: unknown) {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Result };
}

function ws(stack: Stack, connectionParams?: Record<string, unknown>) {
  const closes: { code: number; reason: string }[] = [];
  const client = createWsClient({
    url: stack.wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    ...(connectionParams && { connectionParams }),
    on: { closed: (e) => closes.push({ code: (e as CloseEvent).code, reason: (e as CloseEvent).reason }) },
  });
  return { client, closes };
}

describe('API keys', () => {
  it('HTTP: no key or an unknown key → 401 with WWW-Authenticate before anything runs; a known key works', async () => {
    const stack = await startStack({ env: { API_KEYS_FILE: keysFile(KEYS) } });
    const none = await post(stack, '{ feedStatus { connected } }');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/missing API key/), extensions: { code: 'UNAUTHENTICATED' } });
    const wrong = await post(stack, '{ feedStatus { connected } }', 'not-a-key-but-long-enough');
    expect(wrong.status).toBe(401);
    expect(wrong.body.errors?.[0]?.message).toBe('unknown API key');
    const ok = await post(stack, '{ feedStatus { connected } }', FULL_KEY);
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
    // health and readiness stay open for probes
    expect((await fetch(stack.url.replace('/graphql', '/health'))).status).toBe(200);
  });

  it('graphql-ws: no key or an unknown key → close 4401 before any subscription; keys in connectionParams or as {apiKey} work', async () => {
    const stack = await startStack({ env: { API_KEYS_FILE: keysFile(KEYS) } });
    for (const params of [undefined, { authorization: 'Bearer nope-nope-nope-nope' }]) {
      const { client, closes } = ws(stack, params);
      const sub = collect<Result>(
        client.iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['AAPL.US'], depth: 0 } }) as AsyncIterableIterator<Result>,
      );
      await vi.waitFor(() => expect(sub.done).toBe(true));
      expect(closes[0]?.code).toBe(4401);
      expect(closes[0]?.reason).toMatch(/^Unauthorized: (missing|unknown) API key/);
      await client.dispose();
    }
    expect(stack.server.feed.manager.leaseCount).toBe(0);
    expect(stack.sim.record.framesOf(22004)).toHaveLength(0);

    for (const params of [{ authorization: `Bearer ${FULL_KEY}` }, { apiKey: FULL_KEY }]) {
      const { client } = ws(stack, params);
      const sub = collect<Result>(
        client.iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['AAPL.US'], depth: 0 } }) as AsyncIterableIterator<Result>,
      );
      await vi.waitFor(() => expect(stack.server.feed.manager.leaseCount).toBe(1));
      expect(sub.done).toBe(false);
      await sub.stop();
      await client.dispose();
      await vi.waitFor(() => expect(stack.server.feed.manager.leaseCount).toBe(0));
    }
  });

  it("graphql-ws: the key can come as the upgrade's Authorization header; it holds for every later subscription of the connection", async () => {
    const stack = await startStack({ env: { API_KEYS_FILE: keysFile(KEYS) } });
    // a server-side client sends the key with the upgrade, not in connectionParams
    class WithKeyHeader extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { authorization: `Bearer ${CRYPTO_KEY}` } });
      }
    }
    const client = createWsClient({ url: stack.wsUrl, webSocketImpl: WithKeyHeader, retryAttempts: 0, lazy: true });
    const allowed = collect<Result>(
      client.iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['BTCUSDT'], depth: 0 } }) as AsyncIterableIterator<Result>,
    );
    await vi.waitFor(() => expect(stack.server.feed.manager.leaseCount).toBe(1));
    // the key's markets, read from the header the connection kept, still rule a later subscription
    const refused = collect<Result>(
      client.iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['TSLA.US'], depth: 0 } }) as AsyncIterableIterator<Result>,
    );
    await vi.waitFor(() => expect(refused.done).toBe(true));
    expect(errorsOf(refused)[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', symbol: 'TSLA.US' });
    expect(allowed.done).toBe(false);
    await allowed.stop();
    await client.dispose();
  });

  it('SSE takes the key as Authorization: Bearer', async () => {
    const stack = await startStack({ env: { API_KEYS_FILE: keysFile(KEYS) } });
    const denied = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['EURUSD'], depth: 0 } }),
    });
    expect(denied.status).toBe(401);
    await denied.arrayBuffer();
    const client = createSseClient({ url: stack.url, retryAttempts: 0, headers: { authorization: `Bearer ${CRYPTO_KEY}` } });
    const sub = collect<Result>(client.iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['EURUSD'], depth: 0 } }) as AsyncIterableIterator<Result>);
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual(['EURUSD']));
    stack.sim.pushTrade('EURUSD', { price: '1.0777' });
    await vi.waitFor(() => expect(JSON.stringify(sub.items.at(-1))).toContain('1.0777'));
    await sub.stop();
    client.dispose();
  });

  it("a key's markets and limits apply to every symbol argument, on queries and subscriptions", async () => {
    const stack = await startStack({ env: { API_KEYS_FILE: keysFile(KEYS) } });
    const forbidden = await post(stack, '{ quote(symbol: "AAPL.US") { price } }', CRYPTO_KEY);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.errors?.[0]).toMatchObject({
      message: 'symbol "AAPL.US" (market US) is not allowed for this API key; allowed markets: CRYPTO, FOREX',
      extensions: { code: 'FORBIDDEN', symbol: 'AAPL.US', market: 'US' },
    });
    expect((await post(stack, '{ quote(symbol: "BTCUSDT") { price } }', CRYPTO_KEY)).body.errors).toBeUndefined();
    expect((await post(stack, '{ quote(symbol: "AAPL.US") { price } }', FULL_KEY)).body.errors).toBeUndefined();
    const tooMany = await post(stack, '{ quotes(symbols: ["BTCUSDT", "ETHUSDT", "EURUSD"]) { price } }', CRYPTO_KEY);
    expect(tooMany.body.errors?.[0]?.message).toBe('too many symbols: 3 given, at most 2 per request');

    const { client } = ws(stack, { apiKey: CRYPTO_KEY });
    const sub = collect<Result>(
      client.iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['BTCUSDT', 'TSLA.US'], depth: 1 } }) as AsyncIterableIterator<Result>,
    );
    await vi.waitFor(() => expect(sub.done).toBe(true));
    expect(errorsOf(sub)[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', symbol: 'TSLA.US' });
    expect(stack.server.feed.manager.leaseCount).toBe(0);
    await client.dispose();
  });

  it('GRAPHIQL=false serves no page; INTROSPECTION=false refuses __schema and __type', async () => {
    const stack = await startStack({ env: { GRAPHIQL: 'false', INTROSPECTION: 'false' } });
    const page = await fetch(stack.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('<html');
    const introspection = await post(stack, '{ __schema { types { name } } }');
    expect(introspection.body.errors?.[0]?.message).toMatch(/introspection/i);
    expect((await post(stack, '{ __type(name: "Quote") { name } }')).body.errors?.[0]?.message).toMatch(/introspection/i);
    expect((await post(stack, '{ feedStatus { connected } }')).body.errors).toBeUndefined();
  });

  it('a bad keys file stops the start with a message that names the file and the problem, never a key', async () => {
    const base = { PORT: '0', HOST: '127.0.0.1', ALLTICK_TOKEN: 't', ALLTICK_WS_URL: 'ws://127.0.0.1:1', LOG_LEVEL: 'silent' };
    const secret = 'short-secret';
    const path = keysFile({ keys: [{ name: 'x', key: secret }] });
    const error = await startServer({ config: loadConfig({ ...base, API_KEYS_FILE: path }) }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/API_KEYS_FILE=.*keys\.0\.key: key: at least 16 characters/);
    expect(error?.message).not.toContain(secret);
    await expect(startServer({ config: loadConfig({ ...base, API_KEYS_FILE: keysFile('{nope') }) })).rejects.toThrow(/not valid JSON/);
    await expect(startServer({ config: loadConfig({ ...base, API_KEYS_FILE: '/nonexistent/keys.json' }) })).rejects.toThrow(/cannot read it \(ENOENT\)/);
  });

  it('visibilityKey: equal for clients with the same markets, different otherwise', () => {
    const config = loadConfig({
      API_KEYS_FILE: keysFile({ keys: [...KEYS.keys, { name: 'other-crypto', key: 'other-crypto-key-000000', markets: ['FOREX', 'CRYPTO'] }] }),
    });
    const guards = new ClientGuards(config);
    const req = (key: string) => {
      const r = { socket: { remoteAddress: '127.0.0.1' }, headers: {} } as never;
      const outcome = guards.authenticate(r, key);
      if (!outcome.ok) throw new Error(outcome.reason);
      return outcome.identity;
    };
    expect(req(CRYPTO_KEY).visibilityKey).toBe(req('other-crypto-key-000000').visibilityKey);
    expect(req(CRYPTO_KEY).visibilityKey).not.toBe(req(FULL_KEY).visibilityKey);
    expect(new ClientGuards(loadConfig({})).identityOf(undefined).visibilityKey).toBe('public');
  });
});
