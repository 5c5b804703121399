/**
 * K-line (candle) history (alltick-protocol.md §4.2). Finished candles come from the symbol's
 * deterministic price path (price-path.ts), so they are the same on every request and candles of
 * different periods agree; the candle that contains now closes at the live mid.
 */
import { INTERVALS, barStart, nextBarStart, type Interval } from '../feed/candles/intervals.js';
import { formatUnits, multiplyUnits } from './decimal.js';
import type { Instrument } from './instruments.js';
import { onTick, pathPrice } from './price-path.js';
import { hashString, hashUnit } from './random.js';

export const KLINE_TYPES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const;
/** 2 h and 4 h candles are not offered for stocks (§4.2). */
export const STOCK_UNSUPPORTED_KLINE_TYPES: readonly number[] = [6, 7];
export const MAX_KLINE_NUM = 500;
export const MAX_BATCH_KLINE_NUM = 2;

/** Start (epoch s) of the candle of `klineType` that contains `t` (the server's bar calendar). */
export function candleStart(klineType: number, t: number): number {
  return barStart(intervalOfType(klineType), t * 1000) / 1000;
}

/** Start of the candle after the one starting at `start`. */
function nextStart(klineType: number, start: number): number {
  return nextBarStart(intervalOfType(klineType), start * 1000) / 1000;
}

function previousStart(klineType: number, start: number): number {
  return candleStart(klineType, start - 1);
}

export interface Candle {
  timestamp: string;
  open_price: string;
  close_price: string;
  high_price: string;
  low_price: string;
  volume: string;
  turnover: string;
}

function intervalOfType(klineType: number): Interval {
  return INTERVALS.find((i) => i.klineType === klineType)!;
}

export interface KlineRequest {
  klineType: number;
  /** epoch seconds of the newest candle to include (its start ≤ end); 0 or absent = now */
  endSeconds: number;
  count: number;
}

/**
 * `count` candles, oldest first, the newest being the one that contains min(end, now). The candle
 * containing now closes at `midUnits`, the live mid.
 */
export function klineHistory(inst: Instrument, midUnits: number, req: KlineRequest, nowMs: number): Candle[] {
  const now = nowMs / 1000;
  const end = req.endSeconds > 0 ? Math.min(req.endSeconds, now) : now;
  const seed = hashString(inst.entry.code);
  const { decimals } = inst;

  const starts: number[] = [];
  for (let s = candleStart(req.klineType, end); starts.length < req.count; s = previousStart(req.klineType, s)) starts.push(s);
  starts.reverse();

  return starts.map((start) => {
    const stop = nextStart(req.klineType, start);
    const live = stop > now; // the candle still forming: it closes at the live price
    const last = live ? now : stop;
    const open = onTick(inst, pathPrice(inst, start));
    const close = live ? midUnits : onTick(inst, pathPrice(inst, stop));
    let hi = Math.max(open, close);
    let lo = Math.min(open, close);
    const samples = 8;
    for (let i = 1; i < samples; i++) {
      const p = pathPrice(inst, start + ((last - start) * i) / samples);
      hi = Math.max(hi, p);
      lo = Math.min(lo, p);
    }
    // intra-candle excursions finer than the samples
    const wiggle = inst.dailyVolatility * Math.sqrt((stop - start) / 86_400) * 0.3;
    hi *= 1 + wiggle * hashUnit(seed, start, 1);
    lo *= 1 - wiggle * hashUnit(seed, start, 2);
    const high = Math.max(onTick(inst, hi, Math.ceil), open, close);
    const low = Math.min(onTick(inst, lo, Math.floor), open, close);
    const volume = candleVolume(inst, seed, start, last - start);
    const typical = Math.round((open + high + low + close) / 4);
    return {
      timestamp: String(start),
      open_price: formatUnits(open, decimals),
      close_price: formatUnits(close, decimals),
      high_price: formatUnits(high, decimals),
      low_price: formatUnits(low, decimals),
      volume: formatUnits(volume, inst.volumeDecimals),
      turnover: multiplyUnits(typical, decimals, volume, inst.volumeDecimals),
    };
  });
}

/** Volume in units of 10^-volumeDecimals, proportional to the candle's length, deterministic. */
function candleVolume(inst: Instrument, seed: number, start: number, seconds: number): number {
  const perMinute = inst.assetClass === 'stock' ? 20_000 : inst.assetClass === 'crypto' ? 50 : 100;
  const units = perMinute * 10 ** inst.volumeDecimals * (Math.max(seconds, 1) / 60) * (0.5 + hashUnit(seed, start, 3));
  return Math.round(units);
}
