/**
 * The event source of one `candles(symbol, interval)` subscription: the forming bar each time a
 * trade changes it, and exactly one `final: true` event per interval once it has ended — from a
 * timer on the (injectable) clock, so an interval without trades is closed too (a flat bar at the
 * last price, volume 0). A trade stamped in a later interval than the clock says closes the
 * intervals before it at once; a trade for an interval already closed is not re-sent.
 *
 * Catching up is bounded by construction: after a jump (a trade stamped far ahead, a clock or
 * event loop that stood still) at most MAX_CATCH_UP_BARS intervals are closed one by one and the
 * rest are skipped, so no loop ever runs up to an arbitrary time.
 */
import type { DeliveryMetrics } from '../metrics/delivery-metrics.js';
import type { Repeater } from 'graphql-yoga';
import type { Bar, LiveBar } from '../feed/candles/live-candles.js';
import { barStart, nextBarStart, type Interval } from '../feed/candles/intervals.js';
import type { MarketFeed } from '../feed/feed.js';
import { systemClock, type Clock } from '../feed/manager.js';
import { feedStream, type Offer } from './feed-stream.js';

export interface CandleItem extends Bar {
  symbol: string;
  interval: Interval;
  /** true once the interval has ended: the bar will not change any more */
  final: boolean;
  /** resumed: bars between the client's cursor and this one may be missing */
  gap?: boolean;
}

export interface CandleStreamOptions {
  /** where drops and delivery latency are counted (the server's) */
  metrics: DeliveryMetrics;
  clock?: Clock;
  /** how long after an interval's end its final bar waits for late trades; default 250 ms */
  graceMs?: number;
  /** a price to start from when the server knows none yet (e.g. a REST snapshot) */
  seedPrice?: () => Promise<string | null>;
  /** resuming: the start of the last final bar the client has; the final bars after it come first */
  after?: number;
}

/** Intervals closed one by one when catching up; past that, the empty ones in between are skipped. */
export const MAX_CATCH_UP_BARS = 60;

export function candleItem(symbol: string, interval: Interval, bar: Bar, final: boolean): CandleItem {
  const { time, open, high, low, close, volume, turnover } = bar;
  return { symbol, interval, time, open, high, low, close, volume, turnover, final };
}

export function candleStream(feed: MarketFeed, symbol: string, interval: Interval, options: CandleStreamOptions): Repeater<CandleItem> {
  const clock = options.clock ?? systemClock;
  const graceMs = options.graceMs ?? 250;
  let current = barStart(interval, clock.now());
  let lastPrice: string | null = null;
  let timer: unknown;
  let offer: Offer<CandleItem> = () => {};

  const bar = (start: number): LiveBar | undefined => feed.candles.bar(symbol, interval, start);
  const flat = (start: number, price: string): Bar => ({ time: start, open: price, high: price, low: price, close: price, volume: '0', turnover: '0' });

  /** Sends the final bar of `current` and moves on to the next interval. */
  const closeCurrent = () => {
    const done = bar(current) ?? (lastPrice !== null ? flat(current, lastPrice) : undefined);
    if (done) {
      lastPrice = done.close;
      offer(candleItem(symbol, interval, done, true));
    }
    current = nextBarStart(interval, current);
  };

  /** Closes the intervals before `target` (at most MAX_CATCH_UP_BARS of them); `target` is then current. */
  const closeUpTo = (target: number) => {
    for (let n = 0; current < target && n < MAX_CATCH_UP_BARS; n++) closeCurrent();
    if (current < target) current = target;
  };

  const schedule = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = clock.setTimeout(onTimer, Math.max(0, nextBarStart(interval, current) + graceMs - clock.now()));
  };

  function onTimer() {
    timer = undefined;
    // the interval still open is the one whose end (plus grace) has not come yet
    closeUpTo(barStart(interval, clock.now() - graceMs));
    schedule();
  }

  /**
   * Sends the final bars from the one after `after` up to the current interval, from the bars this
   * server kept (flat ones where no trade came), at most MAX_CATCH_UP_BARS; when they no longer
   * reach back to `after`, the first event sent says `gap`. Returns the offer to use from then on.
   */
  const resumeFrom = (after: number, send: Offer<CandleItem>): Offer<CandleItem> => {
    const kept = feed.candles.bars(symbol, interval).filter((b) => b.time < current);
    const anchor = kept.findLast((b) => b.time <= after);
    const firstMissed = nextBarStart(interval, after);
    let gap = !anchor && kept.find((b) => b.time > after)?.time !== firstMissed && firstMissed < current;
    const next: Offer<CandleItem> = (item) => {
      send(gap ? { ...item, gap: true } : item);
      gap = false;
    };
    // bounded like any catch-up: further back than MAX_CATCH_UP_BARS intervals, the query has the bars
    const starts: number[] = [];
    for (let start = firstMissed; start < current && starts.length <= MAX_CATCH_UP_BARS; start = nextBarStart(interval, start)) starts.push(start);
    if (starts.length > MAX_CATCH_UP_BARS) {
      gap = true;
      starts.length = 0;
    }
    let price = anchor?.close ?? null;
    for (const start of starts) {
      const done = kept.find((b) => b.time === start) ?? (price !== null ? flat(start, price) : undefined);
      if (!done) continue;
      price = done.close;
      next(candleItem(symbol, interval, done, true));
    }
    return next;
  };

  return feedStream<CandleItem>({
    name: 'candles',
    metrics: options.metrics,
    feed,
    symbols: [symbol],
    depth: 0,
    // a forming bar may replace the queued forming bar of the same interval; finals are never merged
    conflateKey: (c) => `${c.time}:${c.final}`,
    onUpdate: (snapshot) => {
      const trade = snapshot.last;
      if (trade.kind !== 'trade') return;
      const start = barStart(interval, trade.time);
      if (start < current) return; // that interval is closed already
      if (current < start) {
        closeUpTo(start);
        schedule();
      }
      const forming = bar(current);
      if (forming) {
        lastPrice = forming.close;
        offer(candleItem(symbol, interval, forming, false));
      }
    },
    start: (send) => {
      current = barStart(interval, clock.now());
      offer = options.after === undefined ? send : resumeFrom(options.after, send);
      const forming = bar(current);
      lastPrice = forming?.close ?? feed.candles.before(symbol, interval, current)?.close ?? feed.snapshot(symbol)?.trade?.price ?? null;
      if (forming) offer(candleItem(symbol, interval, forming, false));
      if (lastPrice === null && options.seedPrice) {
        options.seedPrice().then(
          (price) => void (lastPrice ??= price),
          () => undefined, // no seed: intervals before the first trade are not reported
        );
      }
      schedule();
      return () => {
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = undefined;
      };
    },
  });
}
