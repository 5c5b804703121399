/**
 * Secrecy (issue 7, proof 5): the AllTick token never appears in a response (body or header), an
 * error, the GraphiQL page, a metric (when /metrics exists) or a log line — also while upstream
 * refuses it, rejects codes, fails REST calls, and at trace level.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { AllTickRestClient } from '../src/feed/alltick/rest.js';
import { PLANS } from '../src/feed/alltick/plans.js';
import { createLogger } from '../src/logger.js';
import { collect, dispose, QUOTES_SUBSCRIPTION, startStack, wsClient } from './helpers.js';

afterEach(dispose);

const TOKEN = 'SECRET-alltick-token-7f3a9c2e';
const FORMS = [TOKEN, encodeURIComponent(TOKEN), TOKEN.slice(7)];
/** spellings an upstream may echo: upper- and lower-cased, URL-encoded (searched case-insensitively) */
const ECHOES = [TOKEN.toUpperCase(), TOKEN.toLowerCase(), encodeURIComponent(`${TOKEN}/x`).toLowerCase(), encodeURIComponent(encodeURIComponent(TOKEN))];

describe('the AllTick token stays inside the process', () => {
  it('no response, error, page, metric or log line (trace level) carries it', { timeout: 40_000 }, async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('trace', 'secrecy', sink);
    const stack = await startStack({
      sim: { tokens: [TOKEN], spacingMs: 25 },
      env: { ALLTICK_TOKEN: TOKEN, LOG_LEVEL: 'trace' },
      timings: { reconnectGapMs: 150, maxBackoffMs: 600 },
      logger,
    });
    const seen: string[] = [];
    const fetchText = async (path: string, init?: RequestInit) => {
      const res = await fetch(new URL(path, stack.url), init);
      seen.push(JSON.stringify([...res.headers]), await res.text());
      return res.status;
    };
    const post = (query: string, variables?: unknown) =>
      fetchText('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });

    // a live subscription over graphql-ws, and every kind of fault upstream
    const sub = collect(wsClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['AAPL.US', 'EURUSD'], depth: 1 } }));
    await vi.waitFor(() => expect(stack.sim.sessions().every((s) => s.tradeList.length === 1)).toBe(true), { timeout: 5000 });
    stack.sim.pushTrade('AAPL.US');
    stack.sim.failCode('ZZZZ.US', 604);
    const rejected = collect(wsClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['ZZZZ.US'], depth: 0 } }));
    await vi.waitFor(() => expect(rejected.done).toBe(true), { timeout: 5000 });
    stack.sim.sendRaw('{"cmd_id":22998,"data":{"code":"AAPL.US","price":"x"}}');
    stack.sim.sendRaw(`{"ret":401,"msg":"token invalid ${TOKEN}","cmd_id":0,"seq_id":0,"trace":"","data":{}}`);
    for (const echo of ECHOES) stack.sim.sendRaw(`{"ret":401,"msg":"TOKEN INVALID ${echo} ?TOKEN=${echo}","cmd_id":0,"seq_id":0,"trace":"","data":{}}`);
    stack.sim.refuseConnections(800, 401);
    stack.sim.killConnections();
    await vi.waitFor(async () => expect(await fetchText('/ready')).toBe(503), { timeout: 5000 });
    await post('{ feedStatus { connected connections { endpoint state reason lastError { ret message operation codes } } } }');
    await vi.waitFor(async () => expect(await fetchText('/ready')).toBe(200), { timeout: 10_000 });

    // every HTTP surface: queries, errors, GraphiQL, SSE, health, metrics
    await post('{ feedStatus { connected connections { endpoint state reason lastError { ret message operation codes } } } }');
    await post('{ quote(symbol: "aapl.us") { price } }');
    await post('{ quotes(symbols: ["AAPL.US"]) { price nope } }');
    await post('{ symbols(search: "a", limit: 3) { symbol name } }');
    await fetchText('/graphql', { headers: { accept: 'text/html' } });
    await fetchText('/graphql?query=%7B', { headers: { accept: 'application/json' } });
    await fetchText('/health');
    await fetchText('/metrics');
    await fetchText('/');
    const sse = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['AAPL.US'], depth: 1 } }),
    });
    const reader = sse.body!.getReader();
    stack.sim.pushTrade('AAPL.US');
    seen.push(new TextDecoder().decode((await reader.read()).value));
    await reader.cancel();

    // a raw graphql-ws exchange, errors included
    const raw = new WebSocket(stack.wsUrl, 'graphql-transport-ws');
    const frames: string[] = [];
    raw.on('message', (d) => frames.push(d.toString()));
    await new Promise((r) => raw.once('open', r));
    raw.send(JSON.stringify({ type: 'connection_init' }));
    await vi.waitFor(() => expect(frames.some((m) => m.includes('connection_ack'))).toBe(true));
    raw.send(JSON.stringify({ id: 'a', type: 'subscribe', payload: { query: '{ feedStatus { connections { reason lastError { message } } } }' } }));
    raw.send(JSON.stringify({ id: 'b', type: 'subscribe', payload: { query: 'subscription { quotes(symbols: ["bad"]) { symbol } }' } }));
    await vi.waitFor(() => expect(frames.filter((m) => m.includes('"id":"a"') || m.includes('"id":"b"')).length).toBeGreaterThanOrEqual(2));
    seen.push(...frames);
    raw.close();

    // the REST client's failures, logged with the same logger
    const rest = new AllTickRestClient({ baseUrl: stack.sim.httpUrl, token: TOKEN, plan: PLANS.professional, logger });
    stack.sim.failNextRest(1, 429);
    seen.push(String(await rest.tradeTicks(['AAPL.US']).catch((e: Error) => e.message)));
    stack.sim.failNextRest(1, 500);
    seen.push(String(await rest.tradeTicks(['AAPL.US']).catch((e: Error) => e.message)));
    const unreachable = new AllTickRestClient({ baseUrl: 'http://127.0.0.1:1', token: TOKEN, plan: PLANS.professional, logger });
    seen.push(String(await unreachable.tradeTicks(['AAPL.US']).catch((e: Error) => e.message)));

    seen.push(JSON.stringify(sub.items), JSON.stringify(sub.errors), JSON.stringify(rejected.items), JSON.stringify(rejected.errors));
    await stack.server.stop();

    expect(lines.length).toBeGreaterThan(20); // the logger did log, at every level
    expect(lines.some((l) => l.includes('upstream rejected a request'))).toBe(true);
    for (const form of FORMS) {
      const lower = form.toLowerCase();
      expect(seen.filter((text) => text.toLowerCase().includes(lower))).toEqual([]);
      expect(lines.filter((line) => line.toLowerCase().includes(lower))).toEqual([]);
    }
  });
});
