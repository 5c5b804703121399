/**
 * The new subscriptions and their query twins end to end (simulator ⇄ server, real graphql-ws
 * clients): trades, order book, candles, and the quotes stream's in-band feed status.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cmd } from '../../../src/feed/alltick/protocol.js';
import { collect, dispose, gql, startStack, wsClient, type Stack } from '../../support/helpers.js';

afterEach(dispose);

type Result<T> = { data?: T; errors?: { message: string }[] };
function subscribe<T>(stack: Stack, query: string, variables?: Record<string, unknown>) {
  return collect<Result<T>>(wsClient(stack).iterate({ query, variables }) as AsyncIterableIterator<Result<T>>);
}
const session = (stack: Stack, endpoint: 'stock' | 'quote') => stack.sim.sessions({ endpoint })[0];

const TRADE_FIELDS = 'symbol price volume turnover side time seq';
type TradeData = { symbol: string; price: string; volume: string; turnover: string | null; side: string; time: string; seq: string };

describe('trades', () => {
  it('every upstream trade with its side, trades only upstream; recentTrades returns the same items', async () => {
    const stack = await startStack();
    const sub = subscribe<{ trades: TradeData }>(stack, `subscription { trades(symbols: ["BTCUSDT", "ETHUSDT"]) { ${TRADE_FIELDS} } }`);
    await vi.waitFor(() => expect(session(stack, 'quote')?.tradeList).toEqual(['BTCUSDT', 'ETHUSDT']));
    expect(session(stack, 'quote')?.depthList).toEqual([]);

    const pushed = [
      stack.sim.pushTrade('BTCUSDT', { price: '97000.10', trade_direction: 1 }).data,
      stack.sim.pushTrade('ETHUSDT', { price: '3500.5', trade_direction: 2 }).data,
      stack.sim.pushTrade('BTCUSDT', { price: '97000.20', trade_direction: 0 }).data,
      stack.sim.pushTrade('BTCUSDT', { price: '97000.20', trade_direction: 1 }).data, // same price again: still a trade
    ];
    await vi.waitFor(() => expect(sub.items).toHaveLength(4));
    const got = sub.items.map((i) => i.data!.trades);
    expect(got.map((t) => [t.symbol, t.price, t.side, t.seq])).toEqual(pushed.map((p, i) => [p.code, p.price, ['BUY', 'SELL', 'NEUTRAL', 'BUY'][i], p.seq]));

    const { body } = await gql(stack, `{ recentTrades(symbol: "BTCUSDT", limit: 2) { ${TRADE_FIELDS} } }`);
    expect(body.data?.recentTrades).toEqual(got.filter((t) => t.symbol === 'BTCUSDT').slice(-2));
    const bad = await gql(stack, '{ recentTrades(symbol: "BTCUSDT", limit: 0) { price } }');
    expect(bad.body.errors?.[0]?.message).toMatch(/limit must be at least 1/);
  });
});

describe('order book', () => {
  const BOOK = 'symbol bids { price volume } asks { price volume } spread mid time seq stale';
  type Book = { symbol: string; bids: { price: string }[]; asks: { price: string }[]; spread: string; mid: string; seq: string; stale: boolean };

  it('subscription and query twin: same shape, depth cut, exact spread and mid; a cold book comes from REST', async () => {
    const stack = await startStack();
    const sub = subscribe<{ orderBook: Book }>(stack, `subscription { orderBook(symbol: "700.HK", depth: 3) { ${BOOK} } }`);
    await vi.waitFor(() => expect(session(stack, 'stock')?.depthList).toEqual([{ code: '700.HK', depth_level: 3 }]));
    const levels = (start: number, step: number) => Array.from({ length: 10 }, (_, i) => ({ price: (start + i * step).toFixed(3), volume: '100' }));
    const { data } = stack.sim.pushDepth('700.HK', { bids: levels(380.2, -0.2), asks: levels(380.6, 0.2) });
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.orderBook.seq).toBe(data.seq));
    const live = sub.items.at(-1)!.data!.orderBook;
    expect(live).toMatchObject({ symbol: '700.HK', spread: '0.400', mid: '380.400', stale: false });
    expect(live.bids.map((l) => l.price)).toEqual(['380.200', '380.000', '379.800']);
    expect(live.asks).toHaveLength(3);

    const restBefore = stack.sim.record.restCalls.length;
    const { body } = await gql(stack, `{ orderBook(symbol: "700.HK", depth: 3) { ${BOOK} } }`);
    expect(body.data?.orderBook).toEqual(live);
    expect(stack.sim.record.restCalls).toHaveLength(restBefore); // streamed: from the cache

    const cold = await gql(stack, `{ orderBook(symbol: "9988.HK", depth: 2) { ${BOOK} } }`);
    const book = cold.body.data?.orderBook as Book;
    expect(book.bids).toHaveLength(2);
    expect(Number(book.spread)).toBeGreaterThan(0);
    expect(stack.sim.record.restCalls.map((c) => c.path)).toContain('/quote-stock-b-api/depth-tick');
    expect(stack.sim.record.framesOf(Cmd.SubscribeDepth).some((f) => f.text.includes('9988.HK'))).toBe(false);

    const bad = await gql(stack, '{ orderBook(symbol: "700.HK", depth: 0) { symbol } }');
    expect(bad.body.errors?.[0]?.message).toMatch(/invalid depth 0/);
  });
});

describe('candles subscription', () => {
  it('pushes the forming bar as trades change it', async () => {
    const stack = await startStack();
    type C = { time: string; open: string; high: string; low: string; close: string; volume: string; final: boolean; interval: string };
    const sub = subscribe<{ candles: C }>(
      stack,
      'subscription { candles(symbol: "EURUSD", interval: MINUTE_1) { time open high low close volume final interval } }',
    );
    await vi.waitFor(() => expect(session(stack, 'quote')?.tradeList).toEqual(['EURUSD']));
    const now = Date.now();
    stack.sim.pushTrade('EURUSD', { price: '1.08500', volume: '2', tick_time: String(now) });
    stack.sim.pushTrade('EURUSD', { price: '1.08530', volume: '1', tick_time: String(now + 1) });
    await vi.waitFor(() => expect(sub.items.filter((i) => !i.data?.candles.final).at(-1)?.data?.candles.close).toBe('1.08530'));
    const forming = sub.items.filter((i) => !i.data?.candles.final).at(-1)!.data!.candles;
    expect(forming.interval).toBe('MINUTE_1');
    expect(Date.parse(forming.time)).toBe(Math.floor(now / 60_000) * 60_000);
    expect(forming.high).toBe('1.08530');
    expect(sub.items.every((i) => !i.errors)).toBe(true);

    const bad = subscribe<{ candles: C }>(stack, 'subscription { candles(symbol: "AAPL.US", interval: HOUR_4) { close } }');
    await vi.waitFor(() => expect(bad.done).toBe(true));
    expect(JSON.stringify([bad.items, bad.errors])).toMatch(/4h is not available for AAPL\.US/);
  });
});

describe('quotes: in-band feed status', () => {
  type Q = { symbol: string; price: string | null; stale: boolean; event: string };

  it('FEED_DOWN with stale: true when the endpoint drops, FEED_UP when it is back; other endpoints untouched', async () => {
    const stack = await startStack();
    const sub = subscribe<{ quotes: Q }>(stack, 'subscription { quotes(symbols: ["AAPL.US", "EURUSD"], depth: 0) { symbol price stale event } }');
    await vi.waitFor(() => expect(session(stack, 'stock')?.tradeList).toEqual(['AAPL.US']));
    await vi.waitFor(() => expect(session(stack, 'quote')?.tradeList).toEqual(['EURUSD']));
    // cold symbols: each gets its SNAPSHOT (from REST) first
    await vi.waitFor(() => expect(sub.items.map((i) => i.data?.quotes.event)).toEqual(['SNAPSHOT', 'SNAPSHOT']), { timeout: 5000 });
    stack.sim.pushTrade('AAPL.US', { price: '230.10' });
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes).toMatchObject({ symbol: 'AAPL.US', price: '230.10', stale: false, event: 'TICK' }));

    stack.sim.refuseConnections(1_500); // keep it down long enough to look
    stack.sim.killConnections({ endpoint: 'stock' });
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes).toMatchObject({ symbol: 'AAPL.US', price: '230.10', stale: true, event: 'FEED_DOWN' }));
    const down = await gql(stack, '{ quotes(symbols: ["AAPL.US"], depth: 0) { symbol price stale } }');
    expect(down.body.data?.quotes).toEqual([{ symbol: 'AAPL.US', price: '230.10', stale: true }]);

    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes).toMatchObject({ symbol: 'AAPL.US', stale: false, event: 'FEED_UP' }), { timeout: 8_000 });
    const events = sub.items.map((i) => [i.data?.quotes.symbol, i.data?.quotes.event]);
    expect(events.filter(([s]) => s === 'EURUSD')).toEqual([['EURUSD', 'SNAPSHOT']]); // its endpoint never dropped
    expect(events.filter(([, e]) => e === 'FEED_DOWN')).toHaveLength(1);
    expect(events.filter(([, e]) => e === 'FEED_UP')).toHaveLength(1);
  });
});
