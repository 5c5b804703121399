/**
 * Candles built live from the trades the feed ingests, for every interval at once: per symbol and
 * interval the forming bar and the last finished ones. Bars are keyed by their start on the trade
 * time (upstream tick_time), like AllTick's own K-lines. Sums are exact decimals.
 */
import type { Trade } from '../alltick/protocol.js';
import type { Candle } from '../alltick/rest.js';
import { add, max, min, multiply } from '../decimal.js';
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

class Series {
  /** finished bars, oldest first, then the forming one last */
  readonly bars: LiveBar[] = [];

  add(interval: Interval, trade: Trade): void {
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

function turnoverOf(trade: Trade): string {
  return trade.turnover ?? multiply(trade.price, trade.volume);
}

function openBar(start: number, trade: Trade): LiveBar {
  const p = trade.price;
  return { time: start, open: p, high: p, low: p, close: p, volume: trade.volume, turnover: turnoverOf(trade), trades: 1, lastTradeAt: trade.time };
}

function extendBar(bar: LiveBar, trade: Trade): void {
  bar.high = max(bar.high, trade.price);
  bar.low = min(bar.low, trade.price);
  // trades inside one bar may arrive out of order: the close is the latest trade's price
  if (trade.time >= bar.lastTradeAt) {
    bar.close = trade.price;
    bar.lastTradeAt = trade.time;
  }
  bar.volume = add(bar.volume, trade.volume);
  bar.turnover = add(bar.turnover, turnoverOf(trade));
  bar.trades++;
}

export class LiveCandles {
  private readonly series = new Map<string, Series[]>();

  add(trade: Trade): void {
    let perInterval = this.series.get(trade.symbol);
    if (!perInterval) this.series.set(trade.symbol, (perInterval = INTERVALS.map(() => new Series())));
    INTERVALS.forEach((interval, i) => perInterval[i]!.add(interval, trade));
  }

  /** Copies of the bars of `symbol` at `interval`, oldest first; the last one may still be forming. */
  bars(symbol: string, interval: Interval): LiveBar[] {
    const series = this.series.get(symbol)?.[INTERVALS.indexOf(interval)];
    return series ? series.bars.map((b) => ({ ...b })) : [];
  }

  /** A copy of the bar of `symbol` at `interval` that starts at `start`, if any trade built it. */
  bar(symbol: string, interval: Interval, start: number): LiveBar | undefined {
    const series = this.series.get(symbol)?.[INTERVALS.indexOf(interval)];
    const found = series?.bars.findLast((b) => b.time === start);
    return found && { ...found };
  }

  /** The newest bar of `symbol` at `interval` that starts before `start`. */
  before(symbol: string, interval: Interval, start: number): LiveBar | undefined {
    const series = this.series.get(symbol)?.[INTERVALS.indexOf(interval)];
    const found = series?.bars.findLast((b) => b.time < start);
    return found && { ...found };
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
