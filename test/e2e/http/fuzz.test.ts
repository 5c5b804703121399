/**
 * Fuzz (issue 7, proof 3), seeded and bounded — 3,000 inputs in all: random and malformed GraphQL documents and
 * variables over HTTP, random graphql-transport-ws messages, random upstream frames. Never a
 * crash, never a 5xx or an internal close code for client input, always an error with a message.
 * The seed is printed on failure; FUZZ_SEED=… reproduces a run.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createRng, type Rng } from '../../../src/simulator/random.js';
import { collect, dispose, QUOTES_SUBSCRIPTION, startStack, wsClient, type QuoteData, type Stack } from '../../support/helpers.js';
import { elapse } from '../../support/time.js';

afterEach(() => {
  vi.restoreAllMocks();
  return dispose();
});

const SEED = Number(process.env.FUZZ_SEED ?? 7_2026_1126);
const FUZZ_ENV = { OPERATIONS_PER_SECOND: '0', MAX_CONNECTIONS_PER_ADDRESS: '0' };

const VALID = [
  '{ quote(symbol: "AAPL.US") { symbol price time bids { price volume } } }',
  '{ quotes(symbols: ["AAPL.US", "GOLD"], depth: 3) { symbol price asks { price } } }',
  'query Q($s: [String!]!, $d: Int) { quotes(symbols: $s, depth: $d) { symbol seq } }',
  '{ symbols(market: HK, search: "a", limit: 5) { symbol name maxDepth tickSize } }',
  '{ feedStatus { connected connections { endpoint state reason lastError { ret message } } } }',
  QUOTES_SUBSCRIPTION,
  'subscription { feedStatus { connected } }',
  '{ __typename }',
  'fragment F on Quote { symbol price } query { quote(symbol: "EURUSD") { ...F } }',
];
const TOKENS = [
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ':',
  '!',
  '$',
  '@',
  '...',
  '"',
  'query',
  'subscription',
  'mutation',
  'fragment',
  'on',
  'quote',
  'quotes',
  'symbols',
  'symbol',
  'depth',
  'price',
  'bids',
  'feedStatus',
  '__schema',
  '__type',
  'Quote',
  'String',
  'Int',
  '#',
  ',',
  '\n',
  '"""',
  '\\u0000',
  '1e999',
  '-1',
  '99999999999',
  'null',
  'true',
  'AAPL.US',
  '"aapl.us"',
  '"00700.HK"',
  '\u{1F600}',
  'query'.repeat(50),
];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(0, items.length - 1)] as T;
}

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, depth > 2 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return rng.int(-1e6, 1e6);
    case 2:
      return rng.next() * 1e20;
    case 3:
      return pick(rng, ['AAPL.US', '700.HK', 'GOLD', 'aapl', '', 'X'.repeat(300), '00700.HK', 'BTCUSDT', '\u0000']);
    case 4:
      return rng.chance(0.5);
    case 5:
      return pick(rng, [Number.MAX_SAFE_INTEGER, -0, 1.5, 10, 11]);
    case 6:
      return Array.from({ length: rng.int(0, rng.chance(0.1) ? 150 : 5) }, () => randomValue(rng, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.int(0, 4) }, () => [pick(rng, ['s', 'd', 'symbols', 'depth', '__proto__', 'x']), randomValue(rng, depth + 1)]),
      );
  }
}

function mutate(rng: Rng, text: string): string {
  let out = text;
  for (let i = rng.int(1, 6); i > 0; i--) {
    const at = rng.int(0, out.length);
    switch (rng.int(0, 3)) {
      case 0:
        out = out.slice(0, at) + out.slice(at + rng.int(1, 8));
        break;
      case 1:
        out = out.slice(0, at) + pick(rng, TOKENS) + out.slice(at);
        break;
      case 2:
        out = out.slice(0, at) + String.fromCharCode(rng.int(0, 0x2fff)) + out.slice(at);
        break;
      default:
        out = out + out.slice(0, rng.int(0, 40));
    }
  }
  return out;
}

function randomDocument(rng: Rng): string {
  if (rng.chance(0.5)) return mutate(rng, pick(rng, VALID));
  if (rng.chance(0.3)) return pick(rng, VALID);
  return Array.from({ length: rng.int(1, 30) }, () => pick(rng, TOKENS)).join(' ');
}

/** One random HTTP request; returns status and parsed body (or null when not JSON). */
async function randomHttp(stack: Stack, rng: Rng): Promise<{ status: number; body: unknown; kind: string; request: string }> {
  let request: string;
  const kind = pick(rng, ['post', 'post', 'post', 'get', 'raw-body', 'sse']);
  let res: Response;
  if (kind === 'get') {
    const params = new URLSearchParams({ query: randomDocument(rng) });
    if (rng.chance(0.5)) params.set('variables', rng.chance(0.5) ? JSON.stringify(randomValue(rng)) : mutate(rng, '{"s":["AAPL.US"]}'));
    request = params.toString();
    res = await fetch(`${stack.url}?${params}`, { headers: { accept: 'application/json' } });
  } else if (kind === 'raw-body') {
    const body = pick(rng, [
      '',
      '{',
      'null',
      '[]',
      '{"query": 5}',
      '{"query": "{ __typename }", "variables": "x"}',
      mutate(rng, JSON.stringify({ query: pick(rng, VALID) })),
    ]);
    const contentType = pick(rng, ['application/json', 'text/plain', 'application/graphql', 'multipart/form-data']);
    request = `${contentType} ${body}`;
    res = await fetch(stack.url, { method: 'POST', headers: { 'content-type': contentType }, body });
  } else {
    const body = JSON.stringify({
      query: randomDocument(rng),
      variables: rng.chance(0.7) ? randomValue(rng) : undefined,
      operationName: rng.chance(0.2) ? pick(rng, ['Q', 'Quotes', '', 'nope']) : undefined,
    });
    const sse = kind === 'sse';
    request = body;
    const controller = new AbortController();
    res = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: sse ? 'text/event-stream' : 'application/json' },
      body,
      signal: controller.signal,
    });
    if (sse && res.headers.get('content-type')?.includes('text/event-stream')) {
      // read the first event (data or an error), then hang up
      const reader = res.body!.getReader();
      const first = await Promise.race([reader.read(), elapse(50, 'a stream need not answer at once: read for at most 50 ms')]);
      controller.abort();
      await reader.cancel().catch(() => {});
      return { status: res.status, body: first ? 'sse' : 'sse-idle', kind, request };
    }
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, body, kind, request };
}

function expectClearErrors(body: unknown, context: string) {
  const errors = (body as { errors?: { message?: unknown }[] } | null)?.errors;
  if (!errors) return;
  for (const e of errors) {
    expect(typeof e.message, context).toBe('string');
    expect((e.message as string).length, context).toBeGreaterThan(0);
    // Yoga's mask for an exception the server did not expect
    expect(e.message, context).not.toBe('Unexpected error.');
  }
}

describe(`fuzz (seed ${SEED})`, () => {
  it('1,000 random or malformed GraphQL requests over HTTP and SSE: no 5xx, every error has a message', { timeout: 60_000 }, async () => {
    const stack = await startStack({ env: FUZZ_ENV });
    const statuses = new Map<number, number>();
    const TOTAL = 1000;
    const CONCURRENCY = 8;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < TOTAL) {
          const n = next++;
          // one generator per request: the run is the same whatever order responses come back in
          const { status, body, kind, request } = await randomHttp(stack, createRng(SEED + n));
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          const context = `request ${n} (${kind}) ${request.slice(0, 300)} → ${status} ${JSON.stringify(body).slice(0, 300)}`;
          expect(status, context).toBeLessThan(500);
          expectClearErrors(body, context);
        }
      }),
    );
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    // still healthy, and nothing left subscribed by the aborted SSE streams
    expect((await fetch(stack.url.replace('/graphql', '/health'))).status).toBe(200);
    await vi.waitFor(() => expect(stack.server.feed.manager.leaseCount).toBe(0), { timeout: 5000 });
  });

  it('1,000 random graphql-transport-ws messages: only protocol close codes (44xx, 1009), never an internal error', { timeout: 60_000 }, async () => {
    const stack = await startStack({ env: { ...FUZZ_ENV, MAX_SUBSCRIPTIONS_PER_CONNECTION: '20' } });
    const consoleError = vi.spyOn(console, 'error');
    const rng = createRng(SEED ^ 0x9e3779b9);
    const closeCodes = new Map<number, number>();
    let sent = 0;
    while (sent < 1000) {
      const ws = new WebSocket(stack.wsUrl, rng.chance(0.05) ? 'nope' : 'graphql-transport-ws');
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.on('error', () => {});
      const opened = await new Promise<boolean>((resolve) => {
        ws.once('open', () => resolve(true));
        ws.once('close', () => resolve(false));
      });
      if (opened) {
        if (rng.chance(0.8)) ws.send(JSON.stringify({ type: 'connection_init', payload: rng.chance(0.3) ? randomValue(rng) : undefined }));
        for (let i = rng.int(1, 40); i > 0 && ws.readyState === WebSocket.OPEN; i--, sent++) {
          const id = pick(rng, ['1', '2', '3', '', 'x'.repeat(100)]);
          const message = pick(rng, [
            () => JSON.stringify({ id, type: 'subscribe', payload: { query: randomDocument(rng), variables: rng.chance(0.6) ? randomValue(rng) : undefined } }),
            () =>
              JSON.stringify({
                id,
                type: 'subscribe',
                payload: { query: QUOTES_SUBSCRIPTION, variables: { symbols: randomValue(rng), depth: randomValue(rng) } },
              }),
            () => JSON.stringify({ id, type: 'complete' }),
            () => JSON.stringify({ type: pick(rng, ['ping', 'pong', 'connection_init', 'next', 'error', 'bogus']), payload: randomValue(rng) }),
            () => JSON.stringify(randomValue(rng)),
            () => mutate(rng, JSON.stringify({ id, type: 'subscribe', payload: { query: pick(rng, VALID) } })),
            () => Buffer.from([rng.int(0, 255), rng.int(0, 255), 0, 0xff]),
          ])();
          ws.send(message);
          await elapse(rng.int(0, 3), 'random gaps between hostile messages');
        }
        ws.close();
      }
      const code = await closed;
      closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
      expect([1000, 1002, 1005, 1006, 1009, 4400, 4401, 4403, 4406, 4408, 4409, 4429], `close code ${code}`).toContain(code);
    }
    expect(consoleError.mock.calls.map((c) => String(c[0]))).not.toContainEqual(expect.stringContaining('Internal error'));
    expect(closeCodes.has(4500)).toBe(false);
    await vi.waitFor(() => expect(stack.server.feed.manager.leaseCount).toBe(0), { timeout: 5000 });
    expect((await fetch(stack.url.replace('/graphql', '/health'))).status).toBe(200);
  });

  it('1,000 random upstream frames are counted and dropped; the feed keeps delivering', { timeout: 60_000 }, async () => {
    const stack = await startStack({ env: FUZZ_ENV });
    const rng = createRng(SEED ^ 0x85ebca6b);
    const sub = collect<{ data?: { quotes: QuoteData } }>(
      wsClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['AAPL.US', 'BTCUSDT'], depth: 2 } }) as AsyncIterableIterator<{
        data?: { quotes: QuoteData };
      }>,
    );
    await vi.waitFor(() => expect(stack.sim.sessions().map((s) => s.tradeList.length)).toEqual([1, 1]), { timeout: 5000 });
    const pushes = [
      () => ({
        cmd_id: 22998,
        data: {
          code: pick(rng, ['AAPL.US', 'BTCUSDT', 'NOPE']),
          seq: randomValue(rng),
          tick_time: randomValue(rng),
          price: randomValue(rng),
          volume: randomValue(rng),
          trade_direction: randomValue(rng),
        },
      }),
      () => ({
        cmd_id: 22999,
        data: {
          code: pick(rng, ['AAPL.US', 'BTCUSDT']),
          seq: randomValue(rng),
          tick_time: randomValue(rng),
          bids: randomValue(rng),
          asks: [{ price: randomValue(rng), volume: '1' }],
        },
      }),
      () => ({
        cmd_id: rng.int(0, 30000),
        seq_id: randomValue(rng),
        ret: pick(rng, [200, 400, 600, 605, 999, 'x']),
        msg: randomValue(rng),
        data: randomValue(rng),
      }),
      () => randomValue(rng),
    ];
    for (let i = 0; i < 1000; i++) {
      const text = rng.chance(0.15) ? mutate(rng, JSON.stringify(pick(rng, pushes)())) : JSON.stringify(pick(rng, pushes)());
      stack.sim.sendRaw(text);
      if (i % 100 === 0) await elapse(5, 'the server reads between bursts of upstream frames');
    }
    await vi.waitFor(() => expect(stack.server.upstream.counters.framesIn).toBeGreaterThanOrEqual(1000), { timeout: 10_000 });
    expect(stack.server.upstream.counters.invalidFrames).toBeGreaterThan(100);
    stack.sim.pushTrade('AAPL.US', { price: '321.09' });
    stack.sim.pushTrade('BTCUSDT', { price: '65432.1' });
    await vi.waitFor(
      () => {
        expect(sub.items.some((r) => r.data?.quotes.price === '321.09')).toBe(true);
        expect(sub.items.some((r) => r.data?.quotes.price === '65432.1')).toBe(true);
      },
      { timeout: 5000 },
    );
    // whatever got through validation is well-formed
    for (const item of sub.items) {
      const q = item.data?.quotes;
      expect(q?.symbol === 'AAPL.US' || q?.symbol === 'BTCUSDT').toBe(true);
      if (q?.price !== null) expect(q?.price).toMatch(/^-?\d+(\.\d+)?$/);
    }
    expect(sub.done).toBe(false);
    expect(stack.server.upstream.connected).toBe(true);
  });
});
