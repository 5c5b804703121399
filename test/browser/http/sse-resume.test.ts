/**
 * SSE resumes by itself (SPEC §4, issue 15): events carry `id:` with the stream cursor; a request
 * with `Last-Event-ID` continues after it. A native `EventSource` in headless Chromium (the
 * README's recipe, `?sse=eventsource`) keeps every trade across a server-side drop of its stream,
 * and after `complete` it stops instead of running the operation again every few seconds.
 * graphql-sse's distinct-connections mode keeps working, now with ids.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../support/browser.js';
import { collect, dispose, gql, sseClient, startStack, type Stack } from '../../support/helpers.js';

const TRADES = 'subscription { trades(symbols: ["BTCUSDT"]) { seq cursor gap } }';
type TradeEvent = { seq: string; cursor: string; gap: boolean };

/** The SSE events of a response, as far as they have arrived, until `enough` says stop. */
async function readEvents(response: Response, enough: (events: Record<string, string>[]) => boolean): Promise<Record<string, string>[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: Record<string, string>[] = [];
  let buffer = '';
  while (!enough(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':') || !line.includes(':')) continue;
        const at = line.indexOf(':');
        event[line.slice(0, at)] = line.slice(at + 1).trimStart();
      }
      if (event.data !== undefined) events.push(event);
    }
  }
  await reader.cancel();
  return events;
}

function sseRequest(stack: Stack, query: string, headers: Record<string, string> = {}, eventSource = false): Promise<Response> {
  const url = new URL(stack.url);
  url.searchParams.set('query', query);
  if (eventSource) url.searchParams.set('sse', 'eventsource');
  return fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
}

describe('SSE ids and Last-Event-ID', () => {
  afterEach(dispose);

  it('every event carries the stream cursor as its id; Last-Event-ID resumes right after it', async () => {
    const stack = await startStack({ sim: { ticksPerSecond: 50 } });
    const first = await readEvents(await sseRequest(stack, TRADES), (events) => events.length >= 10);
    expect(first.every((e) => e.event === 'next')).toBe(true); // graphql-sse's framing
    const trades = first.map((e) => (JSON.parse(e.data!) as { data: { trades: TradeEvent } }).data.trades);
    expect(first.map((e) => e.id)).toEqual(trades.map((t) => t.cursor)); // one symbol: the id is its cursor
    const resumed = await readEvents(await sseRequest(stack, TRADES, { 'last-event-id': first[4]!.id! }), (events) => events.length >= 5);
    const again = resumed.map((e) => (JSON.parse(e.data!) as { data: { trades: TradeEvent } }).data.trades);
    expect(again.map((t) => t.seq).slice(0, 5)).toEqual(trades.slice(5, 10).map((t) => t.seq));
    expect(again.some((t) => t.gap)).toBe(false);
  });

  it('a multi-symbol stream id names every symbol, so one Last-Event-ID resumes them all', async () => {
    const stack = await startStack({ sim: { ticksPerSecond: 50 } });
    const query = 'subscription { trades(symbols: ["BTCUSDT", "ETHUSDT"]) { symbol seq } }';
    const first = await readEvents(
      await sseRequest(stack, query),
      (events) => new Set(events.map((e) => JSON.parse(e.data!).data.trades.symbol)).size === 2 && events.length >= 10,
    );
    const lastId = first.at(-1)!.id!;
    expect(lastId.split('.')).toHaveLength(2);
    const seqs = (events: Record<string, string>[], symbol: string) =>
      events
        .map((e) => JSON.parse(e.data!).data.trades)
        .filter((t: { symbol: string }) => t.symbol === symbol)
        .map((t: { seq: string }) => t.seq);
    const resumed = await readEvents(
      await sseRequest(stack, query, { 'last-event-id': lastId }),
      (events) => seqs(events, 'BTCUSDT').length >= 1 && seqs(events, 'ETHUSDT').length >= 1,
    );
    const { body } = await gql(stack, '{ b: recentTrades(symbol: "BTCUSDT", limit: 500) { seq } e: recentTrades(symbol: "ETHUSDT", limit: 500) { seq } }');
    for (const [symbol, key] of [
      ['BTCUSDT', 'b'],
      ['ETHUSDT', 'e'],
    ] as const) {
      const history = (body.data?.[key] as { seq: string }[]).map((t) => t.seq);
      const before = seqs(first, symbol);
      const next = history[history.indexOf(before.at(-1)!) + 1];
      expect(seqs(resumed, symbol)[0]).toBe(next); // each symbol continues right after its last trade
    }
  });

  it('graphql-sse distinct connections mode works as before', async () => {
    const stack = await startStack({ sim: { ticksPerSecond: 50 } });
    const sub = collect(sseClient(stack).iterate<{ trades: TradeEvent }>({ query: TRADES }));
    await vi.waitFor(() => expect(sub.items.length).toBeGreaterThan(3));
    expect(sub.errors).toEqual([]);
  });

  it('an EventSource reconnecting after complete gets 204, which ends its reconnects', async () => {
    const stack = await startStack();
    const done = await readEvents(await sseRequest(stack, '{ feedStatus { connected } }', {}, true), () => false);
    expect(done.map((e) => e.event ?? 'message')).toEqual(['message', 'complete']);
    expect(done[1]!.id).toBe('end');
    const again = await sseRequest(stack, '{ feedStatus { connected } }', { 'last-event-id': 'end' }, true);
    expect(again.status).toBe(204);
  });
});

describe('native EventSource in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    stack = await startStack({ sim: { ticksPerSecond: 40 } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await dispose();
  });

  it('keeps every trade across a server-side drop of the stream, without client code', async () => {
    const page = await browser.newPage();
    const lastEventIds: string[] = [];
    page.on('request', (r) => {
      void r.allHeaders().then((headers) => {
        if (headers['last-event-id']) lastEventIds.push(headers['last-event-id']);
      });
    });
    await page.goto(`http://127.0.0.1:${stack.server.port}/health`);
    // the README's recipe
    await page.evaluate((query) => {
      const w = window as unknown as { trades: unknown[]; opens: number };
      w.trades = [];
      w.opens = 0;
      const url = new URL('/graphql', location.origin);
      url.searchParams.set('query', query);
      url.searchParams.set('sse', 'eventsource');
      const source = new EventSource(url);
      source.onopen = () => w.opens++;
      source.onmessage = (event) => w.trades.push(JSON.parse(event.data).data.trades);
    }, TRADES);
    const pageTrades = () => page.evaluate(() => (window as unknown as { trades: TradeEvent[] }).trades);
    const opens = () => page.evaluate(() => (window as unknown as { opens: number }).opens);
    await vi.waitFor(async () => expect((await pageTrades()).length).toBeGreaterThan(20), { timeout: 10_000 });

    stack.server.httpServer.closeAllConnections(); // the server drops the stream (a proxy timeout, a restart…)
    const atDrop = (await pageTrades()).length;
    await vi.waitFor(
      async () => {
        expect(await opens()).toBe(2);
        expect((await pageTrades()).length).toBeGreaterThan(atDrop + 40);
      },
      { timeout: 15_000 },
    );
    await vi.waitFor(() => expect(lastEventIds).toHaveLength(1)); // the browser sent the last id by itself

    const got = await pageTrades();
    const { body } = await gql(stack, '{ recentTrades(symbol: "BTCUSDT", limit: 500) { seq } }');
    const history = (body.data?.recentTrades as { seq: string }[]).map((t) => t.seq);
    const start = history.indexOf(got[0]!.seq);
    expect(start).toBeGreaterThanOrEqual(0);
    const seqs = got.map((t) => t.seq);
    // every trade once, in order, across the drop (the history is what the server received)
    expect(seqs).toEqual(history.slice(start, start + seqs.length));
    expect(got.some((t) => t.gap)).toBe(false);
    await page.close();
  }, 40_000);

  it('after complete, the EventSource closes instead of re-running the operation', async () => {
    const page = await browser.newPage();
    let graphqlRequests = 0;
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/graphql') graphqlRequests++;
    });
    await page.goto(`http://127.0.0.1:${stack.server.port}/health`);
    await page.evaluate(() => {
      const w = window as unknown as { results: unknown[]; source: EventSource };
      w.results = [];
      const url = new URL('/graphql', location.origin);
      url.searchParams.set('query', '{ feedStatus { connected } }');
      url.searchParams.set('sse', 'eventsource');
      w.source = new EventSource(url);
      w.source.onmessage = (event) => w.results.push(JSON.parse(event.data));
    });
    await vi.waitFor(async () => expect(await page.evaluate(() => (window as unknown as { source: EventSource }).source.readyState)).toBe(2), {
      timeout: 10_000,
    });
    expect(await page.evaluate(() => (window as unknown as { results: unknown[] }).results)).toEqual([{ data: { feedStatus: { connected: true } } }]);
    expect(graphqlRequests).toBe(2); // the operation, then the reconnect that got 204: no loop
    await page.close();
  }, 30_000);
});
