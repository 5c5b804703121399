/**
 * REST-backed snapshots end to end (simulator ⇄ server on port 0): cold quotes batched into one
 * REST call per endpoint, cached, within the plan's REST rate limit; derived fields; static info;
 * candles merged with live bars; BI polling over GET.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cmd } from '../../../../src/feed/alltick/protocol.js';
import { subtract, percentChange } from '../../../../src/feed/decimal.js';
import { collect, dispose, gql, QUOTES_SUBSCRIPTION, startStack, wsClient, type Stack } from '../../../support/helpers.js';
import { clearOfMinuteTurn, elapse } from '../../../support/time.js';

afterEach(dispose);

const subscribeFrames = (stack: Stack) => stack.sim.record.frames.filter((f) => f.cmd_id === Cmd.SubscribeTrade || f.cmd_id === Cmd.SubscribeDepth);
const callsTo = (stack: Stack, path: string) => stack.sim.record.restCalls.filter((c) => c.path === path);
const STOCKS = ['AAPL.US', 'MSFT.US', '700.HK', '600519.SH'];
const OTHERS = ['EURUSD', 'GOLD', 'BTCUSDT', 'US500'];

type Q = { symbol: string; price: string | null; bids: { price: string }[]; asks: { price: string }[] };

describe('cold snapshots', () => {
  it('N symbols in one query cost one REST call per endpoint and method, then come from the short cache', async () => {
    const stack = await startStack();
    const query = 'query($s: [String!]!) { quotes(symbols: $s, depth: 1) { symbol price time seq bids { price } asks { price } } }';
    const { body } = await gql(stack, query, { s: [...STOCKS, ...OTHERS] });
    expect(body.errors).toBeUndefined();
    const quotes = body.data?.quotes as Q[];
    expect(quotes.map((q) => q.symbol)).toEqual([...STOCKS, ...OTHERS]);
    for (const q of quotes) {
      expect(q.price).toMatch(/^\d+(\.\d+)?$/);
      expect(q.bids).toHaveLength(1);
    }
    for (const path of ['/quote-stock-b-api/trade-tick', '/quote-b-api/trade-tick', '/quote-stock-b-api/depth-tick', '/quote-b-api/depth-tick']) {
      expect(callsTo(stack, path)).toHaveLength(1);
    }
    // asked again at once: the cached answer, no new REST call
    const again = await gql(stack, query, { s: [...STOCKS, ...OTHERS] });
    expect((again.body.data?.quotes as Q[]).map((q) => q.price)).toEqual(quotes.map((q) => q.price));
    expect(stack.sim.record.restCalls).toHaveLength(4);
    expect(subscribeFrames(stack)).toHaveLength(0);
    expect(stack.server.feed.manager.leaseCount).toBe(0);
  });

  it('concurrent requests share REST calls; a burst stays within the plan REST rate limit (simulator enforcing it)', async () => {
    const stack = await startStack({ sim: { restRateLimit: true } });
    const symbols = ['AAPL.US', 'MSFT.US', 'NVDA.US', 'TSLA.US', 'GOOGL.US', 'AMZN.US', 'META.US', 'NFLX.US', 'AMD.US', 'INTC.US', 'JPM.US', 'KO.US'];
    // 12 requests for distinct cold symbols, spread over ~600 ms, each with trades and books
    const answers = await Promise.all(
      symbols.map(async (symbol, i) => {
        await elapse(i * 50, 'the requests come spread over ~600 ms');
        return gql(stack, `{ quote(symbol: "${symbol}", depth: 1) { symbol price bids { price } } }`);
      }),
    );
    for (const [i, a] of answers.entries()) {
      expect(a.body.errors).toBeUndefined();
      expect(a.body.data?.quote).toMatchObject({ symbol: symbols[i], price: expect.any(String) });
    }
    const calls = stack.sim.record.restCalls;
    expect(calls.filter((c) => c.status !== 200 || c.ret !== 200)).toEqual([]); // never a 429
    for (const path of ['/quote-stock-b-api/trade-tick', '/quote-stock-b-api/depth-tick']) {
      const times = callsTo(stack, path).map((c) => c.at);
      expect(times.length).toBeLessThanOrEqual(3); // 12 requests, a few batches
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(990);
    }
  });

  it('an upstream 429 is a clear RATE_LIMITED error, and the next call waits out the backoff instead of storming', async () => {
    const stack = await startStack();
    stack.sim.failNextRest(1, 429);
    const first = await gql(stack, '{ quote(symbol: "AAPL.US", depth: 0) { price } }');
    expect(first.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/429.*try again/), extensions: { code: 'RATE_LIMITED' } });
    const second = await gql(stack, '{ quote(symbol: "AAPL.US", depth: 0) { price } }');
    expect(second.body.data?.quote).toMatchObject({ price: expect.any(String) });
    const [refused, next] = callsTo(stack, '/quote-stock-b-api/trade-tick');
    expect(refused?.status).toBe(429);
    expect(next!.at - refused!.at).toBeGreaterThanOrEqual(990);
  });
});

describe('derived fields and BI polling', () => {
  it('GET /graphql?query=…&variables=… returns the snapshot JSON with exact spread, mid and change vs the previous close', async () => {
    const stack = await startStack();
    const sub = collect(wsClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['GOLD'], depth: 1 } }));
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.depthList).toEqual([{ code: 'GOLD', depth_level: 1 }]));
    stack.sim.pushTrade('GOLD', { price: '2650.35' });
    stack.sim.pushDepth('GOLD', { bids: [{ price: '2650.30', volume: '0' }], asks: [{ price: '2650.45', volume: '0' }] });
    // the cold symbol's REST SNAPSHOT, then the two ticks
    await vi.waitFor(() => expect(sub.items.at(-1)).toMatchObject({ data: { quotes: { price: '2650.35', bids: [{ price: '2650.30', volume: '0' }] } } }));

    const query =
      'query Snap($symbols: [String!]!) { quotes(symbols: $symbols, depth: 1) { symbol price spread mid previousClose change changePercent stale event } }';
    const url = `${stack.url}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ symbols: ['GOLD', 'BTCUSDT'] }))}`;
    const res = await fetch(url, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as { data: { quotes: Record<string, string | boolean | null>[] } };
    const [gold, btc] = body.data.quotes;
    expect(gold).toMatchObject({ symbol: 'GOLD', price: '2650.35', spread: '0.15', mid: '2650.375', stale: false, event: 'SNAPSHOT' });

    // the previous close is the close of yesterday's daily candle
    const daily = await gql(stack, '{ candles(symbol: "GOLD", interval: DAY_1, limit: 2) { time close } }');
    const bars = daily.body.data?.candles as { time: string; close: string }[];
    const today = new Date(new Date().toISOString().slice(0, 10)).getTime();
    const previous = bars.filter((b) => Date.parse(b.time) < today).at(-1)!.close;
    expect(gold).toMatchObject({ previousClose: previous, change: subtract('2650.35', previous), changePercent: percentChange('2650.35', previous) });
    expect(btc).toMatchObject({ symbol: 'BTCUSDT', stale: false, change: expect.stringMatching(/^-?\d+\.\d+$/) });
    // cold symbol: spread/mid from its REST book
    expect(btc?.mid).toBeTypeOf('string');
    // the previous close is cached per symbol and day: polling again costs no K-line call
    const klineCalls = callsTo(stack, '/quote-b-api/batch-kline').length;
    expect(klineCalls).toBeGreaterThanOrEqual(1);
    const again = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as typeof body;
    expect(again.data.quotes[0]).toMatchObject({ previousClose: previous });
    expect(callsTo(stack, '/quote-b-api/batch-kline')).toHaveLength(klineCalls);
  });

  it('staticInfo reads /static_info for stocks and names the rule for others', async () => {
    const stack = await startStack();
    const { body } = await gql(stack, '{ staticInfo(symbol: "AAPL.US") { symbol nameEn currency exchange lotSize totalShares eps } }');
    expect(body.data?.staticInfo).toMatchObject({ symbol: 'AAPL.US', nameEn: 'Apple Inc.', currency: 'USD', exchange: 'NASDAQ', lotSize: '1' });
    const bad = await gql(stack, '{ staticInfo(symbol: "GOLD") { symbol } }');
    expect(bad.body.errors?.[0]?.message).toMatch(/only available for stocks.*GOLD/);
    expect(callsTo(stack, '/quote-stock-b-api/static_info')).toHaveLength(1);
  });
});

describe('candles query', () => {
  type Bar = { time: string; open: string; high: string; low: string; close: string; volume: string; final: boolean };

  it('REST candles merged with live bars: no duplicates, sorted, the forming bar carrying the live trade', async () => {
    const stack = await startStack();
    const sub = collect(wsClient(stack).iterate({ query: 'subscription { trades(symbols: ["BTCUSDT"]) { price } }' }));
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual(['BTCUSDT']));
    await clearOfMinuteTurn(3000, 'the forming candle read next is the one this trade goes into');
    const { data: pushed } = stack.sim.pushTrade('BTCUSDT', { price: '99999.99', tick_time: String(Date.now()) });
    await vi.waitFor(() => expect(sub.items).toHaveLength(1));

    const { body } = await gql(stack, '{ candles(symbol: "BTCUSDT", interval: MINUTE_1, limit: 10) { time open high low close volume final } }');
    const bars = body.data?.candles as Bar[];
    expect(bars).toHaveLength(10);
    const times = bars.map((b) => Date.parse(b.time));
    expect(times).toEqual([...new Set(times)].sort((a, b) => a - b));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(60_000);
    const forming = bars.at(-1)!;
    expect(forming).toMatchObject({ close: pushed.price, final: false });
    expect(Number(forming.high)).toBeGreaterThanOrEqual(99999.99);
    expect(bars.slice(0, -1).every((b) => b.final)).toBe(true);

    // an earlier page: `before` the oldest bar, still sorted and unique, nothing at or after it
    const before = bars[0]!.time;
    const page = await gql(stack, 'query($b: DateTime) { candles(symbol: "BTCUSDT", interval: MINUTE_1, limit: 5, before: $b) { time } }', { b: before });
    const pageTimes = (page.body.data?.candles as { time: string }[]).map((b) => Date.parse(b.time));
    expect(pageTimes).toHaveLength(5);
    expect(pageTimes.at(-1)).toBe(Date.parse(before) - 60_000);
  });

  it('several short requests share one /batch-kline call; stocks have no 2h/4h, said in the error', async () => {
    const stack = await startStack();
    const { body } = await gql(
      stack,
      '{ a: candles(symbol: "GOLD", interval: HOUR_4, limit: 2) { close } b: candles(symbol: "EURUSD", interval: DAY_1, limit: 1) { close } }',
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.a).toHaveLength(2);
    expect(body.data?.b).toHaveLength(1);
    expect(callsTo(stack, '/quote-b-api/batch-kline')).toHaveLength(1);
    expect(callsTo(stack, '/quote-b-api/kline')).toHaveLength(0);

    const bad = await gql(stack, '{ candles(symbol: "700.HK", interval: HOUR_2) { close } }');
    expect(bad.body.errors?.[0]?.message).toMatch(/2h is not available for 700\.HK.*no 2h or 4h candles for stocks/);
    expect(callsTo(stack, '/quote-stock-b-api/kline')).toHaveLength(0);
  });
});
