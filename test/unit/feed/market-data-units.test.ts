/**
 * Units of the market-data breadth: exact decimals, candles built from a known tick sequence,
 * REST + live merge, the candle stream's one-final-per-interval on a fake clock, and the bounded
 * trade queue that counts what it drops.
 */
import { describe, expect, it } from 'vitest';
import type { Trade } from '../../../src/feed/alltick/protocol.js';
import { MemoryBus } from '../../../src/bus/memory.js';
import { intervalOf, barStart, unsupportedReason } from '../../../src/feed/candles/intervals.js';
import { LiveCandles, mergeBars, type Bar } from '../../../src/feed/candles/live-candles.js';
import { add, compare, divide, midpoint, multiply, percentChange, subtract } from '../../../src/feed/decimal.js';
import { MarketFeed } from '../../../src/feed/feed.js';
import { FeedManager, type Clock } from '../../../src/feed/manager.js';
import { MemoryTradeHistory } from '../../../src/feed/history/trade-history.js';
import { candleStream, MAX_CATCH_UP_BARS, type CandleItem } from '../../../src/schema/candle-stream.js';
import { feedStream } from '../../../src/schema/feed-stream.js';
import { DeliveryMetrics } from '../../../src/metrics/delivery-metrics.js';

const T0 = Date.UTC(2026, 10, 26, 9, 30); // a minute boundary
let seq = 1000;
const trade = (symbol: string, time: number, price: string, volume = '1', turnover: string | null = null): Trade => ({
  kind: 'trade',
  symbol,
  seq: String(seq++),
  time,
  price,
  volume,
  turnover,
  side: 'NEUTRAL',
});

/** A clock whose timers run only when the test advances it. */
class FakeClock implements Clock {
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  constructor(public time: number) {}
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  };
  clearTimeout = (handle: unknown) => void this.timers.delete(handle as number);
  get pending(): number {
    return this.timers.size;
  }
  /** Moves time forward, running due timers in time order. */
  advanceTo(time: number): void {
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= time).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].fn();
    }
    this.time = time;
  }
}

function testFeed(): MarketFeed {
  const manager = new FeedManager({ sink: { setDesired: () => {} }, lingerMs: 0, capacity: { stock: 100, quote: 100 } });
  return new MarketFeed(manager, new MemoryBus());
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('exact decimals', () => {
  it('add, subtract, compare, mid, percent without floats', () => {
    expect(add('0.1', '0.2')).toBe('0.3');
    expect(subtract('651.120000', '651.1')).toBe('0.020000');
    expect(subtract('1.0', '1.25')).toBe('-0.25');
    expect(compare('1.50', '1.5')).toBe(0);
    expect(compare('-2', '1')).toBe(-1);
    expect(midpoint('1.10', '1.12')).toBe('1.11');
    expect(midpoint('1.1', '1.2')).toBe('1.15');
    expect(midpoint('97000.5', '97000.6')).toBe('97000.55');
    expect(multiply('1.5', '0.02')).toBe('0.030');
    expect(divide('1', '3', 4)).toBe('0.3333');
    expect(divide('2', '3', 4)).toBe('0.6667');
    expect(divide('-2', '3', 4)).toBe('-0.6667');
    expect(percentChange('110', '100')).toBe('10.0000');
    expect(percentChange('99.99', '100.00')).toBe('-0.0100');
    expect(percentChange('1', '0')).toBeNull();
    // beyond 2^53: floats would round these
    expect(add('9007199254740993.000001', '0.000001')).toBe('9007199254740993.000002');
  });
});

describe('live candles from a known tick sequence', () => {
  it('give the right OHLCV per interval, exact sums, late trades in their own bar', () => {
    const candles = new LiveCandles();
    const m1 = intervalOf('1m');
    const m5 = intervalOf('5m');
    const ticks = [
      trade('BTCUSDT', T0 + 1_000, '100.5', '2'),
      trade('BTCUSDT', T0 + 20_000, '101.25', '0.5'),
      trade('BTCUSDT', T0 + 40_000, '99.75', '1.5'),
      trade('BTCUSDT', T0 + 59_999, '100.00', '0.1'),
      trade('BTCUSDT', T0 + 61_000, '102', '3', '306'),
      trade('BTCUSDT', T0 + 30_000, '98', '1'), // late: belongs to the first minute
    ];
    for (const t of ticks) candles.add(t);

    const bars = candles.bars('BTCUSDT', m1);
    expect(bars.map(({ trades: _t, lastTradeAt: _l, ...b }) => b)).toEqual([
      { time: T0, open: '100.5', high: '101.25', low: '98', close: '100.00', volume: '5.1', turnover: '509.250' },
      { time: T0 + 60_000, open: '102', high: '102', low: '102', close: '102', volume: '3', turnover: '306' },
    ]);
    const [five] = candles.bars('BTCUSDT', m5);
    expect(five).toMatchObject({ time: barStart(m5, T0), open: '100.5', high: '102', low: '98', close: '102', volume: '8.1', trades: 6 });
  });

  it('weekly bars start on Monday, monthly on the 1st; stocks have no 2h/4h', () => {
    const thursday = Date.UTC(2026, 10, 26, 12);
    expect(new Date(barStart(intervalOf('1w'), thursday)).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(new Date(barStart(intervalOf('1M'), thursday)).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(unsupportedReason('AAPL.US', intervalOf('2h'))).toMatch(/2h is not available for AAPL\.US.*stocks/);
    expect(unsupportedReason('600519.SH', intervalOf('4h'))).toMatch(/4h/);
    expect(unsupportedReason('GOLD', intervalOf('4h'))).toBeNull();
    expect(unsupportedReason('AAPL.US', intervalOf('1h'))).toBeNull();
  });

  it('merged with upstream bars: one bar per time, sorted, the forming upstream bar extended by live trades', () => {
    const bar = (minute: number, close: string, high = close, low = close): Bar => ({
      time: T0 + minute * 60_000,
      open: close,
      high,
      low,
      close,
      volume: '1',
      turnover: '1',
    });
    // upstream answered out of order with a duplicate (AllTick issue #12)
    const upstream = [bar(2, '12'), bar(0, '10'), bar(1, '11'), bar(2, '12'), bar(0, '10')].sort((a, b) => a.time - b.time);
    const live = [bar(1, '99'), bar(2, '13', '15', '9'), bar(3, '14')];
    const merged = mergeBars(upstream, live);
    expect(merged.map((b) => b.time)).toEqual([0, 1, 2, 3].map((m) => T0 + m * 60_000));
    expect(merged[1]?.close).toBe('11'); // finished upstream bar wins
    expect(merged[2]).toMatchObject({ open: '12', high: '15', low: '9', close: '13' }); // forming one extended
    expect(merged[3]?.close).toBe('14'); // newer than upstream: live
  });

  it('trade history keeps the newest trades per symbol, oldest first, bounded by count and age', async () => {
    let now = T0;
    const history = new MemoryTradeHistory({ maxTrades: 3, maxAgeMs: 10_000 }, () => now);
    for (let i = 0; i < 5; i++) history.append(trade('EURUSD', T0 + i, `1.0${i}`));
    expect((await history.recent('EURUSD', 10)).map((t) => t.price)).toEqual(['1.02', '1.03', '1.04']);
    expect((await history.recent('EURUSD', 2)).map((t) => t.price)).toEqual(['1.03', '1.04']);
    expect(await history.recent('GOLD', 2)).toEqual([]);
    now += 10_001;
    expect(await history.recent('EURUSD', 10)).toEqual([]);
  });

  it('trade history replays after an id and says when it no longer reaches back to it', async () => {
    const history = new MemoryTradeHistory({ maxTrades: 3, maxAgeMs: 60_000 }, () => T0);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = trade('EURUSD', T0 + i, `1.0${i}`);
      history.append(t);
      ids.push(t.id!);
    }
    expect(new Set(ids).size).toBe(5);
    const fromThird = await history.since('EURUSD', ids[1]!); // trades 3..5 kept: reaches back to 2
    expect(fromThird).toMatchObject({ complete: true });
    expect(fromThird.trades.map((t) => t.price)).toEqual(['1.02', '1.03', '1.04']);
    const tooOld = await history.since('EURUSD', ids[0]!); // trade 2 is gone
    expect(tooOld.complete).toBe(false);
    expect(tooOld.trades).toHaveLength(3);
    expect(await history.since('EURUSD', ids[4]!)).toEqual({ trades: [], complete: true });
    expect((await history.since('EURUSD', null)).complete).toBe(false);
  });
});

describe('candle stream on a fake clock', () => {
  it('pushes the forming bar on each trade and exactly one final per interval, also for an interval without trades', async () => {
    const feed = testFeed();
    const clock = new FakeClock(T0 + 5_000);
    const m1 = intervalOf('1m');
    const stream = candleStream(feed, 'BTCUSDT', m1, { metrics: new DeliveryMetrics(), clock, graceMs: 100 });
    const items: CandleItem[] = [];
    void (async () => {
      for await (const item of stream) items.push(item);
    })();
    await tick();
    expect(feed.manager.refCount('BTCUSDT', 0)).toBe(1); // trades only upstream

    feed.ingest(trade('BTCUSDT', T0 + 6_000, '100', '1'));
    feed.ingest(trade('BTCUSDT', T0 + 7_000, '103', '2'));
    feed.ingest(trade('BTCUSDT', T0 + 8_000, '99', '1'));
    await tick();
    expect(items.map((c) => [c.close, c.final])).toEqual([
      ['100', false],
      ['103', false],
      ['99', false],
    ]);

    clock.advanceTo(T0 + 60_100); // first minute over (+ grace)
    await tick();
    expect(items.at(-1)).toMatchObject({ time: T0, open: '100', high: '103', low: '99', close: '99', volume: '4', final: true });

    clock.advanceTo(T0 + 180_100); // two minutes without a trade: two flat finals
    await tick();
    const finals = items.filter((c) => c.final);
    expect(finals.map((c) => c.time)).toEqual([T0, T0 + 60_000, T0 + 120_000]);
    expect(finals.slice(1).every((c) => c.open === '99' && c.close === '99' && c.volume === '0')).toBe(true);

    // a trade stamped later than the clock says closes the current interval first, once
    feed.ingest(trade('BTCUSDT', T0 + 241_000, '105', '1'));
    await tick();
    clock.advanceTo(T0 + 240_200); // the timer for that interval finds it already closed
    await tick();
    clock.advanceTo(T0 + 300_100);
    await tick();
    const times = items.filter((c) => c.final).map((c) => c.time);
    expect(times).toEqual([0, 1, 2, 3, 4].map((m) => T0 + m * 60_000));
    expect(new Set(times).size).toBe(times.length); // exactly one final per interval
    expect(items.filter((c) => c.final).at(-1)).toMatchObject({ open: '105', close: '105', volume: '1' });

    await stream.return();
    expect(feed.manager.refCount('BTCUSDT')).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

describe('candle stream catch-up is bounded (issue 12, finding 8)', () => {
  it('a trade stamped far ahead, or a clock that jumps, closes at most MAX_CATCH_UP_BARS intervals and skips the rest', async () => {
    const feed = testFeed();
    const clock = new FakeClock(T0 + 5_000);
    const stream = candleStream(feed, 'BTCUSDT', intervalOf('1m'), { metrics: new DeliveryMetrics(), clock, graceMs: 100 });
    const items: CandleItem[] = [];
    void (async () => {
      for await (const item of stream) items.push(item);
    })();
    await tick();
    feed.ingest(trade('BTCUSDT', T0 + 6_000, '100'));
    const microseconds = (T0 + 7_000) * 1000; // a tick_time in µs: year 58,000
    const started = performance.now();
    feed.ingest(trade('BTCUSDT', microseconds, '101'));
    expect(performance.now() - started).toBeLessThan(1000);
    await tick();
    const finals = items.filter((c) => c.final);
    expect(finals.length).toBeLessThanOrEqual(MAX_CATCH_UP_BARS);
    expect(finals[0]).toMatchObject({ time: T0, close: '100' });
    expect(items.at(-1)).toMatchObject({ time: barStart(intervalOf('1m'), microseconds), close: '101', final: false });

    await stream.return();
    expect(clock.pending).toBe(0);
  });

  it('a clock that jumps a year ahead closes at most MAX_CATCH_UP_BARS intervals', async () => {
    const feed = testFeed();
    const clock = new FakeClock(T0 + 5_000);
    const stream = candleStream(feed, 'BTCUSDT', intervalOf('1m'), { metrics: new DeliveryMetrics(), clock, graceMs: 100 });
    const items: CandleItem[] = [];
    void (async () => {
      for await (const item of stream) items.push(item);
    })();
    await tick();
    feed.ingest(trade('BTCUSDT', T0 + 6_000, '100'));
    await tick();
    clock.time = T0 + 365 * 24 * 3_600_000; // the clock jumps (a suspended host, a stalled loop)
    clock.advanceTo(clock.time);
    await tick();
    const finals = items.filter((c) => c.final);
    expect(finals.length).toBeGreaterThan(1);
    expect(finals.length).toBeLessThanOrEqual(MAX_CATCH_UP_BARS);
    clock.advanceTo(T0 + 365 * 24 * 3_600_000 + 60_000);
    await tick();
    expect(items.filter((c) => c.final).length).toBe(finals.length + 1); // then one per interval again
    await stream.return();
    expect(clock.pending).toBe(0);
  });
});

describe('candle stream resume', () => {
  async function run(feed: MarketFeed, clock: FakeClock, after: number) {
    const stream = candleStream(feed, 'BTCUSDT', intervalOf('1m'), { metrics: new DeliveryMetrics(), clock, graceMs: 100, after });
    const items: CandleItem[] = [];
    void (async () => {
      for await (const item of stream) items.push(item);
    })();
    await tick();
    return { items, stop: () => stream.return() };
  }

  it('first sends the final bars after the cursor (flat ones where no trade came), then the forming bar', async () => {
    const feed = testFeed();
    feed.ingest(trade('BTCUSDT', T0 + 1_000, '100'));
    feed.ingest(trade('BTCUSDT', T0 + 61_000, '101'));
    feed.ingest(trade('BTCUSDT', T0 + 181_000, '103')); // no trade in minute 2
    feed.ingest(trade('BTCUSDT', T0 + 241_000, '104')); // forming
    const clock = new FakeClock(T0 + 245_000);
    const { items, stop } = await run(feed, clock, T0); // the client has minute 0's final bar
    expect(items.map((c) => [c.time - T0, c.close, c.final, c.gap ?? false])).toEqual([
      [60_000, '101', true, false],
      [120_000, '101', true, false], // flat
      [180_000, '103', true, false],
      [240_000, '104', false, false],
    ]);
    await stop();
  });

  it('marks the first event with gap when the kept bars no longer reach the cursor', async () => {
    const feed = testFeed();
    for (let m = 0; m < 10; m++) feed.ingest(trade('BTCUSDT', T0 + m * 60_000 + 1_000, String(100 + m)));
    const clock = new FakeClock(T0 + 9 * 60_000 + 5_000);
    const { items, stop } = await run(feed, clock, T0); // minute 0 is no longer kept
    expect(items[0]).toMatchObject({ final: true, gap: true });
    expect(items.slice(1).some((c) => c.gap)).toBe(false);
    expect(items.at(-1)).toMatchObject({ time: T0 + 9 * 60_000, final: false });
    await stop();
  });

  it('a cursor further back than MAX_CATCH_UP_BARS intervals gets the gap marker, not a flood of flat bars', async () => {
    const feed = testFeed();
    feed.ingest(trade('BTCUSDT', T0 + 1_000, '100'));
    const clock = new FakeClock(T0 + 365 * 24 * 3_600_000); // a year of minutes later
    const started = performance.now();
    const { items, stop } = await run(feed, clock, T0);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(items.length).toBeLessThanOrEqual(1);
    feed.ingest(trade('BTCUSDT', clock.now() + 1_000, '101'));
    await tick();
    expect(items[0]).toMatchObject({ gap: true });
    await stop();
  });
});

describe('trade queue', () => {
  it('is bounded: a client that does not read loses the excess trades, counted, never merged', async () => {
    const feed = testFeed();
    const drops: number[] = [];
    const stream = feedStream<Trade>({
      name: 'trades',
      feed,
      metrics: new DeliveryMetrics(),
      symbols: ['ETHUSDT'],
      depth: 0,
      maxQueue: 10,
      onUpdate: (s, offer) => s.last.kind === 'trade' && offer(s.last),
      onDrop: (n) => drops.push(n),
    });
    const first = stream.next(); // starts the stream; nothing read after this
    await tick();
    for (let i = 0; i < 25; i++) feed.ingest(trade('ETHUSDT', T0 + i, `${3000 + i}`));
    expect((await first).value?.price).toBe('3000');
    expect(drops.at(-1)).toBe(14); // 25 offered: 1 handed over, 10 queued, 14 dropped
    const rest: string[] = [];
    for (let i = 0; i < 10; i++) rest.push(((await stream.next()).value as Trade).price);
    expect(rest).toEqual(Array.from({ length: 10 }, (_, i) => `${3001 + i}`)); // in order, none merged
    await stream.return();
    expect(feed.manager.leaseCount).toBe(0);
  });
});
