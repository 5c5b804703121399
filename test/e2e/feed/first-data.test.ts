/**
 * Issue 13 end to end: cold symbols get their first state from REST as a SNAPSHOT while the
 * upstream subscription waits for its slot; snapshot reads honour depth; a late joiner's first
 * events are SNAPSHOTs; `stale: false` / FEED_UP only once upstream acknowledged the lists again;
 * no client sees a seq twice across upstream drops (status events carry seq null).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COLD_SYMBOLS, measureFirstData, startBasicStack, type FirstDataStack } from '../../../bench/first-data.js';
import { collect, dispose, gql, sseClient, startStack, wsClient } from '../../support/helpers.js';
import { closeAll, GqlWsClient } from '../../support/gql-ws-client.js';
import { elapse } from '../../support/time.js';

let basic: FirstDataStack | null = null;
afterEach(async () => {
  await closeAll();
  await dispose();
  await basic?.close();
  basic = null;
});

const FIELDS = 'symbol price seq event stale bookKnown bids { price volume } asks { price volume }';
const QUOTES = `subscription Q($symbols: [String!]!, $depth: Int) { quotes(symbols: $symbols, depth: $depth) { ${FIELDS} } }`;

interface Q {
  symbol: string;
  price: string | null;
  seq: string | null;
  event: string;
  stale: boolean;
  bookKnown: boolean;
  bids: { price: string }[];
  asks: { price: string }[];
}

/** Every non-null seq a client saw for a symbol, in order: none twice, each newer than the one before. */
function expectSeqsNeverRepeat(quotes: Q[]): void {
  const bySymbol = new Map<string, bigint[]>();
  for (const q of quotes) {
    if (q.event === 'FEED_DOWN' || q.event === 'FEED_UP') expect(q.seq, `${q.symbol} ${q.event}`).toBeNull();
    if (q.seq === null) continue;
    const seqs = bySymbol.get(q.symbol) ?? [];
    const seq = BigInt(q.seq);
    if (seqs.length > 0) expect(seq > (seqs.at(-1) as bigint), `${q.symbol}: seq ${seq} after ${seqs.at(-1)}`).toBe(true);
    seqs.push(seq);
    bySymbol.set(q.symbol, seqs);
  }
}

describe('cold symbols: first data from REST', () => {
  it('8 cold symbols over both endpoints get a SNAPSHOT with price and book before upstream holds their lists (Basic rules)', async () => {
    basic = await startBasicStack();
    const result = await measureFirstData(basic);
    for (const symbol of COLD_SYMBOLS) {
      expect(result.perSymbol[symbol], symbol).toBeDefined();
      const events = result.events.filter((e) => e.quote.symbol === symbol).map((e) => e.quote);
      expect(events[0]?.event, symbol).toBe('SNAPSHOT');
      // until the book is known it says so, rather than showing an empty book
      const withBook = events.findIndex((q) => q.bookKnown);
      expect(events.slice(0, withBook).every((q) => q.bids.length === 0 && q.asks.length === 0)).toBe(true);
      expect(events[withBook]?.bids.length, symbol).toBeGreaterThan(0);
    }
    // four lists, 3 s apart: when every symbol had its price and book, upstream had not got them all
    expect(result.listRequests.length).toBeLessThan(4);
    // feedStatus shows what waits for a slot, longest-waiting first, and roughly when it goes
    const { record } = basic.sim;
    const listsSent = () =>
      record.frames.filter((f) => (f.cmd_id === 22002 || f.cmd_id === 22004) && f.at - result.startedAt > (result.listRequests.at(-1) ?? -1)).length;
    const sentBefore = listsSent();
    const res = await fetch(basic.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ feedStatus { connections { endpoint waiting { list symbols since expectedAt } } } }' }),
    });
    const { data } = (await res.json()) as {
      data: { feedStatus: { connections: { endpoint: string; waiting: { list: string; symbols: string[]; since: string; expectedAt: string }[] }[] } };
    };
    const waiting = data.feedStatus.connections.flatMap((c) => c.waiting.map((w) => ({ ...w, endpoint: c.endpoint })));
    // a list may go while the query runs: the answer is from some moment between the two counts
    const sentAfter = listsSent();
    expect(waiting.length).toBeLessThanOrEqual(4 - result.listRequests.length - sentBefore);
    expect(waiting.length).toBeGreaterThanOrEqual(4 - result.listRequests.length - sentAfter);
    const expected = waiting.map((w) => Date.parse(w.expectedAt)).sort((a, b) => a - b);
    for (let i = 1; i < expected.length; i++) expect(expected[i]! - expected[i - 1]!).toBeGreaterThanOrEqual(3000);
    for (const w of waiting) {
      expect(w.symbols.length).toBe(4); // each endpoint has four of the eight symbols
      expect(Date.parse(w.expectedAt)).toBeGreaterThan(Date.parse(w.since));
    }
    expect(basic.sim.record.tokenSpacingViolations).toBe(0);
    expect(basic.sim.record.spacingViolations).toBe(0);
  });

  it('a symbol upstream stopped streaming is cold again: a new subscription gets its current state, not the old cached one', async () => {
    const stack = await startStack();
    type R = { data?: { quotes: Q } };
    const first = collect<R>(wsClient(stack).iterate({ query: QUOTES, variables: { symbols: ['ETHUSDT'], depth: 1 } }) as AsyncIterableIterator<R>);
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual(['ETHUSDT']));
    const old = stack.sim.pushTrade('ETHUSDT', { price: '3000.00' }).data;
    await vi.waitFor(() => expect(first.items.map((i) => i.data?.quotes.seq)).toContain(old.seq));
    await first.stop();
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual([])); // after the linger
    expect(stack.server.feed.snapshot('ETHUSDT')?.trade?.price).toBe('3000.00'); // the cache still has the old value

    await elapse(1100, "REST answers are reused for 1 s: the first read's expires");
    const now = stack.sim.pushTrade('ETHUSDT', { price: '3100.00' }).data; // nobody streams it: only REST knows
    const second = collect<R>(wsClient(stack).iterate({ query: QUOTES, variables: { symbols: ['ETHUSDT'], depth: 1 } }) as AsyncIterableIterator<R>);
    await vi.waitFor(() => expect(second.items.length).toBeGreaterThan(0), { timeout: 5000 });
    expect(second.items[0]?.data?.quotes).toMatchObject({ event: 'SNAPSHOT', price: '3100.00', seq: now.seq, bookKnown: true });
    await second.stop();
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.depthList).toEqual([]));

    // the same for an order-book subscription: the current book from REST, or the cached one when REST has nothing newer
    await elapse(1100, "REST answers are reused for 1 s: the last read's expires");
    const book = stack.sim.pushDepth('ETHUSDT').data;
    type B = { data?: { orderBook: { seq: string } } };
    const books = collect<B>(wsClient(stack).iterate({ query: 'subscription { orderBook(symbol: "ETHUSDT", depth: 1) { seq } }' }) as AsyncIterableIterator<B>);
    await vi.waitFor(() => expect(books.items.length).toBeGreaterThan(0), { timeout: 5000 });
    expect(books.items[0]?.data?.orderBook.seq).toBe(book.seq);
  });

  it('ticks follow the REST snapshot as TICKs: never an older value after a newer one, never a seq twice', async () => {
    const stack = await startStack({ sim: { ticksPerSecond: 30 } });
    const sub = collect<{ data?: { quotes: Q } }>(
      wsClient(stack).iterate({ query: QUOTES, variables: { symbols: ['AAPL.US', 'BTCUSDT'], depth: 1 } }) as AsyncIterableIterator<{ data?: { quotes: Q } }>,
    );
    await vi.waitFor(() => expect(sub.items.filter((i) => i.data?.quotes.event === 'TICK').length).toBeGreaterThan(40), { timeout: 8000 });
    const quotes = sub.items.map((i) => i.data!.quotes);
    for (const symbol of ['AAPL.US', 'BTCUSDT']) {
      const events = quotes.filter((q) => q.symbol === symbol).map((q) => q.event);
      expect(events[0], symbol).toBe('SNAPSHOT');
      // a FEED_UP may come when the stream began before the upstream was resubscribed; no second SNAPSHOT
      expect(
        events.slice(1).every((e) => e === 'TICK' || e === 'FEED_UP'),
        `${symbol} ${events.join()}`,
      ).toBe(true);
    }
    expectSeqsNeverRepeat(quotes);
  });

  it('a REST answer that lands after a newer live push is not sent: a seq reset upstream does not make the old value look new', async () => {
    const stack = await startStack();
    type R = { data?: { quotes: Q } };
    const quotes = (depth: number) =>
      collect<R>(wsClient(stack).iterate({ query: QUOTES, variables: { symbols: ['ETHUSDT'], depth } }) as AsyncIterableIterator<R>);
    // depth 0: the REST read is of the trade only, so a later depth-1 subscription is still cold (no book)
    const trades = quotes(0);
    await vi.waitFor(() => expect(trades.items.length).toBeGreaterThan(0), { timeout: 5000 });
    const rest = trades.items[0]!.data!.quotes;
    expect(rest.event).toBe('SNAPSHOT');
    // the first event came from REST; the push needs the upstream subscription, which waits for its slot
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toContain('ETHUSDT'), { timeout: 5000 });
    // upstream renumbers: a lower seq with a later time (a minute ahead, so that any REST read of the next
    // few seconds is older by time), which the cache takes as the newer value
    const live = stack.sim.pushTrade('ETHUSDT', { seq: '1000', tick_time: String(Date.now() + 60_000), price: '3333.33' }).data;
    await vi.waitFor(() => expect(trades.items.map((i) => i.data?.quotes.seq)).toContain(live.seq), { timeout: 5000 });
    // this cold read gets a REST trade (the reused first one, or a fresh one) with a higher seq but an older time
    const books = quotes(1);
    await vi.waitFor(() => expect(books.items.some((i) => i.data?.quotes.bookKnown)).toBe(true), { timeout: 5000 });
    expect(books.items[0]?.data?.quotes.event).toBe('SNAPSHOT');
    // the REST read's book comes as the book, not its older trade: never the old price after the new one
    expect(books.items.map((i) => i.data?.quotes.price)).toEqual(books.items.map(() => '3333.33'));
    expect(stack.server.feed.snapshot('ETHUSDT')?.trade?.seq).toBe(live.seq);
    expect(trades.items.map((i) => i.data?.quotes.seq)).toEqual([rest.seq, live.seq]);
  });
});

describe('snapshot reads honour depth', () => {
  it('a depth-10 query while a client streams the symbol at depth 1 answers 10 levels; depth 1 comes from the stream', async () => {
    const stack = await startStack();
    const sub = collect<{ data?: { quotes: Q } }>(
      wsClient(stack).iterate({ query: QUOTES, variables: { symbols: ['700.HK'], depth: 1 } }) as AsyncIterableIterator<{ data?: { quotes: Q } }>,
    );
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.depthList).toEqual([{ code: '700.HK', depth_level: 1 }]));
    const pushed = stack.sim.pushDepth('700.HK').data;
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes.seq).toBe(pushed.seq));

    const deep = await gql(
      stack,
      '{ quote(symbol: "700.HK", depth: 10) { bids { price } asks { price } } orderBook(symbol: "700.HK", depth: 10) { bids { price } asks { price } } }',
    );
    expect(deep.body.errors).toBeUndefined();
    const data = deep.body.data as { quote: { bids: unknown[]; asks: unknown[] }; orderBook: { bids: unknown[]; asks: unknown[] } };
    expect(data.quote.bids).toHaveLength(10);
    expect(data.quote.asks).toHaveLength(10);
    expect(data.orderBook.bids).toHaveLength(10);
    expect(data.orderBook.asks).toHaveLength(10);

    const restCalls = stack.sim.record.restCalls.length;
    const shallow = await gql(stack, '{ orderBook(symbol: "700.HK", depth: 1) { seq bids { price } } }');
    expect(shallow.body.data).toEqual({ orderBook: { seq: pushed.seq, bids: [{ price: pushed.bids[0]!.price }] } });
    expect(stack.sim.record.restCalls.length).toBe(restCalls); // served by the stream
  });
});

describe('late joiners and status events', () => {
  // `previousClose` resolves asynchronously (a REST read): the joiner's replay renders asynchronously then
  it.each([
    ['synchronous', QUOTES],
    ['asynchronous', QUOTES.replace('symbol price', 'symbol previousClose price')],
  ])("a member joining a running shared group gets SNAPSHOTs first, with the symbols' current seq (%s fields)", async (_kind, query) => {
    const stack = await startStack();
    const first = await GqlWsClient.connect(stack.wsUrl);
    first.subscribe('1', query, { symbols: ['BTCUSDT', 'ETHUSDT'], depth: 1 });
    const base = await first.firstEvents('1', ['BTCUSDT', 'ETHUSDT']);
    expect(first.quotes('1').map((q) => q.event)).toEqual(['SNAPSHOT', 'SNAPSHOT']);
    // the SNAPSHOTs may come from REST before the upstream list request had its slot: push only once upstream streams both
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual(expect.arrayContaining(['BTCUSDT', 'ETHUSDT'])), {
      timeout: 5000,
    });
    stack.sim.pushTrade('BTCUSDT', { price: '97000.1' });
    const last = stack.sim.pushTrade('ETHUSDT', { price: '3500.1' }).data;
    await vi.waitFor(() => expect(first.quotes('1')).toHaveLength(base + 2), { timeout: 5000 });
    expect(
      first
        .quotes('1')
        .slice(base)
        .map((q) => q.event),
    ).toEqual(['TICK', 'TICK']);

    const joiner = await GqlWsClient.connect(stack.wsUrl);
    joiner.subscribe('j', query, { symbols: ['ETHUSDT', 'BTCUSDT'], depth: 1 });
    await vi.waitFor(() => expect(joiner.quotes('j')).toHaveLength(2), { timeout: 5000 });
    expect(stack.server.fanout.stats()).toMatchObject({ groups: 1, members: 2 });
    expect(joiner.quotes('j').map((q) => q.event)).toEqual(['SNAPSHOT', 'SNAPSHOT']);
    expect(joiner.quotes('j').find((q) => q.symbol === 'ETHUSDT')).toMatchObject({ price: '3500.1', seq: last.seq });
    expect(first.quotes('1')).toHaveLength(base + 2); // the others see nothing extra
  });

  it('stale: false and FEED_UP come only once the resubscribe is acknowledged, not when the socket opens', async () => {
    // the trade and depth lists go a request slot apart: a wide slot leaves a wide window between their acks
    const stack = await startStack({ timings: { ackTimeoutMs: 10_000, requestSpacingMs: 500 } });
    const sub = collect<{ data?: { quotes: Q } }>(
      wsClient(stack).iterate({ query: QUOTES, variables: { symbols: ['AAPL.US'], depth: 1 } }) as AsyncIterableIterator<{ data?: { quotes: Q } }>,
    );
    // its SNAPSHOT (and a FEED_UP if it came before the first lists were acknowledged)
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes).toMatchObject({ stale: false }), { timeout: 5000 });
    expect(sub.items[0]?.data?.quotes.event).toBe('SNAPSHOT');

    stack.sim.setAckMode({ delayMs: 1500 });
    stack.sim.killConnections({ endpoint: 'stock' });
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes).toMatchObject({ event: 'FEED_DOWN', stale: true }));
    // the new socket is open and the lists are sent again, but not acknowledged yet
    await vi.waitFor(
      () => {
        expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.depthList).toEqual([{ code: 'AAPL.US', depth_level: 1 }]);
        expect(stack.server.upstream.statuses.find((s) => s.endpoint === 'stock')?.state).toBe('connected');
      },
      { timeout: 5000 },
    );
    expect(sub.items.at(-1)?.data?.quotes.event).toBe('FEED_DOWN');
    const query = await gql(stack, '{ quote(symbol: "AAPL.US", depth: 1) { stale } feedStatus { connections { endpoint resubscribed } } }');
    expect(query.body.data).toMatchObject({ quote: { stale: true } });

    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes).toMatchObject({ event: 'FEED_UP', stale: false }), { timeout: 5000 });
    const acked = stack.server.upstream.statuses.find((s) => s.endpoint === 'stock');
    expect(acked).toMatchObject({ state: 'connected', resubscribed: true });
    stack.sim.setAckMode('normal');
  });

  it('no client sees a seq twice across upstream drops, over graphql-ws and SSE (status events carry seq null)', async () => {
    const stack = await startStack({ sim: { ticksPerSecond: 20 } });
    const symbols = ['AAPL.US', 'EURUSD'];
    type R = { data?: { quotes: Q } };
    const ws = collect<R>(wsClient(stack).iterate({ query: QUOTES, variables: { symbols, depth: 1 } }) as AsyncIterableIterator<R>);
    const sse = collect<R>(sseClient(stack).iterate({ query: QUOTES, variables: { symbols, depth: 1 } }) as AsyncIterableIterator<R>);
    const ticks = (c: typeof ws) => c.items.filter((i) => i.data?.quotes.event === 'TICK').length;
    await vi.waitFor(() => expect(Math.min(ticks(ws), ticks(sse))).toBeGreaterThan(10), { timeout: 5000 });
    for (let drop = 0; drop < 2; drop++) {
      const ups = (c: typeof ws) => c.items.filter((i) => i.data?.quotes.event === 'FEED_UP').length;
      // each client's own count: one that subscribed before the first lists were acknowledged had a FEED_UP more
      const before = [ups(ws), ups(sse)];
      stack.sim.killConnections();
      try {
        await vi.waitFor(() => expect(Math.min(ups(ws) - before[0]!, ups(sse) - before[1]!)).toBeGreaterThanOrEqual(2), { timeout: 8000 });
      } catch (error) {
        // seen once in CI and once locally, not reproduced in ~40 runs since: say what upstream looked like
        console.log('upstream after the drop', JSON.stringify({ statuses: stack.server.upstream.statuses, sessions: stack.sim.allSessions() }));
        console.log('last events', JSON.stringify([ws, sse].map((c) => c.items.slice(-8).map((i) => [i.data?.quotes.symbol, i.data?.quotes.event]))));
        throw error;
      }
      const seen = ticks(ws);
      await vi.waitFor(() => expect(ticks(ws)).toBeGreaterThan(seen + 10), { timeout: 5000 });
    }
    for (const client of [ws, sse]) {
      const quotes = client.items.map((i) => i.data!.quotes);
      expect(quotes.some((q) => q.event === 'FEED_DOWN')).toBe(true);
      expectSeqsNeverRepeat(quotes);
    }
  });
});
