/**
 * Decides when each subscribed symbol ticks: a Poisson process per symbol at `ticksPerSecond` on
 * average, with bursts (a two-state process: calm for ~10 s, then ~1 s at 6× the rate). One timer
 * serves every symbol and runs only while some symbol is subscribed and ticking is not paused,
 * so an idle simulator costs nothing.
 */
import type { Rng } from './random.js';

const INTERVAL_MS = 20;
const CALM_MEAN_MS = 10_000;
const BURST_MEAN_MS = 1_000;
const BURST_FACTOR = 6;
/** base rate such that calm and burst time together average to the requested rate */
const BASE_FACTOR = (CALM_MEAN_MS + BURST_MEAN_MS) / (CALM_MEAN_MS + BURST_FACTOR * BURST_MEAN_MS);
/** at most this many ticks of one symbol per timer run (no flood after a stall) */
const MAX_TICKS_PER_RUN = 5;

interface Clock {
  nextAt: number;
  burstUntil: number;
  nextBurstAt: number;
}

export class Ticker {
  private readonly clocks = new Map<string, Clock>();
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private readonly baseRatePerMs: number;

  constructor(
    ticksPerSecond: number,
    private readonly rng: Rng,
    private readonly onTick: (code: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.baseRatePerMs = (ticksPerSecond * BASE_FACTOR) / 1000;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  private exp(meanMs: number): number {
    return -Math.log(1 - this.rng.next()) * meanMs;
  }

  /** Makes the ticking set equal to `codes`. */
  setCodes(codes: ReadonlySet<string>): void {
    for (const code of this.clocks.keys()) if (!codes.has(code)) this.clocks.delete(code);
    const now = this.now();
    for (const code of codes) {
      if (this.clocks.has(code)) continue;
      this.clocks.set(code, { nextAt: now + this.exp(1 / this.baseRatePerMs), burstUntil: 0, nextBurstAt: now + this.exp(CALM_MEAN_MS) });
    }
    this.schedule();
  }

  pause(): void {
    this.paused = true;
    this.schedule();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const now = this.now();
    for (const c of this.clocks.values()) c.nextAt = now + this.exp(1 / this.baseRatePerMs);
    this.schedule();
  }

  stop(): void {
    this.clocks.clear();
    this.schedule();
  }

  private schedule(): void {
    const run = !this.paused && this.baseRatePerMs > 0 && this.clocks.size > 0;
    if (run && !this.timer) {
      this.timer = setInterval(() => this.run(), INTERVAL_MS);
      this.timer.unref();
    } else if (!run && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private run(): void {
    const now = this.now();
    for (const [code, c] of this.clocks) {
      if (now >= c.nextBurstAt) {
        c.burstUntil = now + this.exp(BURST_MEAN_MS);
        c.nextBurstAt = c.burstUntil + this.exp(CALM_MEAN_MS);
        c.nextAt = Math.min(c.nextAt, now + this.exp(1 / (this.baseRatePerMs * BURST_FACTOR)));
      }
      let ticks = 0;
      while (c.nextAt <= now && ticks < MAX_TICKS_PER_RUN) {
        ticks++;
        const rate = c.nextAt < c.burstUntil ? this.baseRatePerMs * BURST_FACTOR : this.baseRatePerMs;
        c.nextAt += this.exp(1 / rate);
        this.onTick(code);
        // a tick's listener may have unsubscribed the symbol
        if (!this.clocks.has(code)) break;
      }
      if (c.nextAt <= now) c.nextAt = now + this.exp(1 / this.baseRatePerMs);
    }
  }
}
