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
}

export interface CandleStreamOptions {
  clock?: Clock;
  /** how long after an interval's end its final bar waits for late trades; default 250 ms */
  graceMs?: number;
  /** a price to start from when the server knows none yet (e.g. a REST snapshot) */
  seedPrice?: () => Promise<string | null>;
}

/** Intervals closed one by one when catching up; past that, the empty ones in between are skipped. */
export const MAX_CATCH_UP_BARS = 60;

export function candleItem(symbol: string, interval: Interval, bar: Bar, final: boolean): CandleItem {
  const { time, open, high, low, close, volume, turnover } = bar;
  return { symbol, interval, time, open, high, low, close, volume, turnover, final };
}

export function candleStream(feed: MarketFeed, symbol: string, interval: Interval, options: CandleStreamOptions = {}): Repeater<CandleItem> {
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

  return feedStream<CandleItem>({
    name: 'candles',
    feed,
    symbols: [symbol],
    depth: 0,
    // a forming bar may replace the queued forming bar of the same interval; finals are never merged
    conflateKey: (c) => `${c.time}:${c.final}`,
    onUpdate: (snapshot, send) => {
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
        send(candleItem(symbol, interval, forming, false));
      }
    },
    start: (send) => {
      offer = send;
      current = barStart(interval, clock.now());
      const forming = bar(current);
      lastPrice = forming?.close ?? feed.candles.before(symbol, interval, current)?.close ?? feed.snapshot(symbol)?.trade?.price ?? null;
      if (forming) send(candleItem(symbol, interval, forming, false));
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
