/**
 * The slow, deterministic part of a symbol's price: a function of time alone (value noise over
 * octaves from 1 minute to about 45 days, scaled by the asset class's daily volatility) around the
 * catalogue reference price. K-line history is drawn from it, so past candles are the same on every
 * request, and the live random walk is pulled towards it, so history ends near the live price.
 */
import type { Instrument } from './instruments.js';
import { hashString, hashUnit } from './random.js';

const OCTAVES = 9; // 60 s · 4^k, k = 0..8

/** Smooth value noise in [-1, 1] at scale `scale` seconds. */
function noise(seed: number, octave: number, t: number, scale: number): number {
  const x = t / scale;
  const i = Math.floor(x);
  const f = x - i;
  const s = f * f * (3 - 2 * f);
  const a = hashUnit(seed, octave, i) * 2 - 1;
  const b = hashUnit(seed, octave, i + 1) * 2 - 1;
  return a + (b - a) * s;
}

/** Price of the path at `t` (epoch seconds), in units of 10^-decimals (not rounded to the tick). */
export function pathPrice(inst: Instrument, t: number): number {
  const seed = hashString(inst.entry.code);
  let log = 0;
  for (let k = 0; k < OCTAVES; k++) {
    const scale = 60 * 4 ** k;
    log += inst.dailyVolatility * Math.sqrt(scale / 86_400) * 0.6 * noise(seed, k, t, scale);
  }
  return inst.refUnits * Math.exp(log);
}

/** `units` rounded with `round` to the instrument's tick grid, at least one tick. */
export function onTick(inst: Instrument, units: number, round: (x: number) => number = Math.round): number {
  return Math.max(inst.tickUnits, round(units / inst.tickUnits) * inst.tickUnits);
}
