/**
 * Candle intervals as AllTick numbers them (`kline_type`, alltick-protocol.md §4.2) and the
 * calendar of their bars: every bar starts at a multiple of its period in UTC, weeks on Mondays,
 * months on the 1st. Stocks (US, HK, A-shares) have no 2 h and 4 h candles upstream.
 */
import { isStockMarket, marketOf } from '../alltick/symbols.js';

export type IntervalName = '1m' | '5m' | '15m' | '30m' | '1h' | '2h' | '4h' | '1d' | '1w' | '1M';

export interface Interval {
  name: IntervalName;
  /** AllTick kline_type */
  klineType: number;
  /** nominal length in ms (a month is variable: see `nextBarStart`) */
  periodMs: number;
  /** true when stocks have it upstream */
  stocks: boolean;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const INTERVALS: readonly Interval[] = [
  { name: '1m', klineType: 1, periodMs: MINUTE, stocks: true },
  { name: '5m', klineType: 2, periodMs: 5 * MINUTE, stocks: true },
  { name: '15m', klineType: 3, periodMs: 15 * MINUTE, stocks: true },
  { name: '30m', klineType: 4, periodMs: 30 * MINUTE, stocks: true },
  { name: '1h', klineType: 5, periodMs: HOUR, stocks: true },
  { name: '2h', klineType: 6, periodMs: 2 * HOUR, stocks: false },
  { name: '4h', klineType: 7, periodMs: 4 * HOUR, stocks: false },
  { name: '1d', klineType: 8, periodMs: DAY, stocks: true },
  { name: '1w', klineType: 9, periodMs: 7 * DAY, stocks: true },
  { name: '1M', klineType: 10, periodMs: 31 * DAY, stocks: true },
];

export const DAILY: Interval = INTERVALS[7]!;

export function intervalOf(name: IntervalName): Interval {
  return INTERVALS.find((i) => i.name === name)!;
}

/** 1970-01-05 00:00 UTC, the first Monday: weekly bars start on Mondays. */
const FIRST_MONDAY_MS = 4 * DAY;

/** Start (epoch ms) of the bar of `interval` that contains `time`. */
export function barStart(interval: Interval, time: number): number {
  if (interval.klineType === 10) {
    const d = new Date(time);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  const offset = interval.klineType === 9 ? FIRST_MONDAY_MS : 0;
  return Math.floor((time - offset) / interval.periodMs) * interval.periodMs + offset;
}

/** Start of the bar after the one starting at `start`. */
export function nextBarStart(interval: Interval, start: number): number {
  if (interval.klineType === 10) {
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return start + interval.periodMs;
}

/** Why `symbol` cannot have candles of `interval`, or null when it can. */
export function unsupportedReason(symbol: string, interval: Interval): string | null {
  const market = marketOf(symbol);
  if (interval.stocks || market === null || !isStockMarket(market)) return null;
  return `interval ${interval.name} is not available for ${symbol}: AllTick has no 2h or 4h candles for stocks (US, HK, SH, SZ); use 1h or 1d`;
}
