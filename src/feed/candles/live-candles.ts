/**
 * Candles built live from the trades the feed ingests, for every interval at once: per symbol and
 * interval the forming bar and the last finished ones. Bars are keyed by their start on the trade
 * time (upstream tick_time), like AllTick's own K-lines. Sums are exact decimals.
 */
import type { Trade } from '../alltick/protocol.js';
import type { Candle } from '../alltick/rest.js';
import { addScaled, compareScaled, format, max, min, multiplyScaled, parse, type Scaled } from '../decimal.js';
import { INTERVALS, barStart, type Interval } from './intervals.js';

/** A bar: the same shape as AllTick's K-line candles (time = bar start, epoch ms). */
export type Bar = Candle;

export interface LiveBar extends Bar {
  trades: number;
  /** time of the last trade in it */
  lastTradeAt: number;
}

/**
 * Finished bars kept per symbol and interval: upstream K-lines are the record of finished bars
 * (queries merge with them); live ones only bridge the gap until upstream has them.
 */
export const BARS_KEPT = 5;

/** A trade's numbers, parsed once for all intervals. */
interface ParsedTrade {
  time: number;
  price: string;
  p: Scaled;
  volume: Scaled;
  turnover: Scaled;
}

/** A bar while it is built: sums and extremes kept scaled, formatted only when read. */
interface WorkingBar {
  time: number;
  open: string;
  high: Scaled;
  highText: string;
  low: Scaled;
  lowText: string;
  close: string;
  volume: Scaled;
  turnover: Scaled;
  trades: number;
  lastTradeAt: number;
}

function parseTrade(trade: Trade): ParsedTrade {
  const p = parse(trade.price);
  const volume = parse(trade.volume);
  const turnover = trade.turnover === null ? multiplyScaled(p, volume) : parse(trade.turnover);
  return { time: trade.time, price: trade.price, p, volume, turnover };
}

function openBar(start: number, t: ParsedTrade): WorkingBar {
  return {
    time: start,
    open: t.price,
    high: t.p,
    highText: t.price,
    low: t.p,
    lowText: t.price,
    close: t.price,
    volume: t.volume,
    turnover: t.turnover,
    trades: 1,
    lastTradeAt: t.time,
  };
}

function extendBar(bar: WorkingBar, t: ParsedTrade): void {
  if (compareScaled(t.p, bar.high) > 0) [bar.high, bar.highText] = [t.p, t.price];
  if (compareScaled(t.p, bar.low) < 0) [bar.low, bar.lowText] = [t.p, t.price];
  // trades inside one bar may arrive out of order: the close is the latest trade's price
  if (t.time >= bar.lastTradeAt) {
    bar.close = t.price;
    bar.lastTradeAt = t.time;
  }
  bar.volume = addScaled(bar.volume, t.volume);
  bar.turnover = addScaled(bar.turnover, t.turnover);
  bar.trades++;
}

function liveBar(b: WorkingBar): LiveBar {
  return {
    time: b.time,
    open: b.open,
    high: b.highText,
    low: b.lowText,
    close: b.close,
    volume: format(b.volume),
    turnover: format(b.turnover),
    trades: b.trades,
    lastTradeAt: b.lastTradeAt,
  };
}

class Series {
  /** finished bars, oldest first, then the forming one last */
  readonly bars: WorkingBar[] = [];

  add(interval: Interval, trade: ParsedTrade): void {
    const start = barStart(interval, trade.time);
    const newest = this.bars.at(-1);
    if (!newest || newest.time < start) {
      this.bars.push(openBar(start, trade));
      if (this.bars.length > BARS_KEPT + 1) this.bars.shift();
      return;
    }
    // the forming bar, or a late trade for a recent finished one
    const bar = newest.time === start ? newest : this.bars.find((b) => b.time === start);
    if (bar) extendBar(bar, trade);
  }
}

export class LiveCandles {
  private readonly series = new Map<string, Series[]>();

  add(trade: Trade): void {
    let perInterval = this.series.get(trade.symbol);
    if (!perInterval) this.series.set(trade.symbol, (perInterval = INTERVALS.map(() => new Series())));
    const parsed = parseTrade(trade);
    INTERVALS.forEach((interval, i) => perInterval[i]!.add(interval, parsed));
  }

  /** Copies of the bars of `symbol` at `interval`, oldest first; the last one may still be forming. */
  bars(symbol: string, interval: Interval): LiveBar[] {
    const series = this.series.get(symbol)?.[INTERVALS.indexOf(interval)];
    return series ? series.bars.map(liveBar) : [];
  }

  /** A copy of the bar of `symbol` at `interval` that starts at `start`, if any trade built it. */
  bar(symbol: string, interval: Interval, start: number): LiveBar | undefined {
    const series = this.series.get(symbol)?.[INTERVALS.indexOf(interval)];
    const found = series?.bars.findLast((b) => b.time === start);
    return found && liveBar(found);
  }

  /** The newest bar of `symbol` at `interval` that starts before `start`. */
  before(symbol: string, interval: Interval, start: number): LiveBar | undefined {
    const series = this.series.get(symbol)?.[INTERVALS.indexOf(interval)];
    const found = series?.bars.findLast((b) => b.time < start);
    return found && liveBar(found);
  }
}

/**
 * Upstream candles merged with live ones: one bar per start time, oldest first. A finished
 * upstream bar wins over a live one (the live one may have missed trades from before the symbol
 * was subscribed); the newest upstream bar is still forming, so live trades extend it.
 */
export function mergeBars(upstream: readonly Bar[], live: readonly Bar[]): Bar[] {
  const byTime = new Map<number, Bar>();
  for (const bar of upstream) byTime.set(bar.time, bar);
  const newestUpstream = upstream.reduce((t, b) => Math.max(t, b.time), -Infinity);
  for (const bar of live) {
    const known = byTime.get(bar.time);
    if (!known) byTime.set(bar.time, { ...bar });
    else if (bar.time === newestUpstream) {
      byTime.set(bar.time, { ...known, high: max(known.high, bar.high), low: min(known.low, bar.low), close: bar.close });
    }
  }
  return [...byTime.values()].sort((a, b) => a.time - b.time);
}
