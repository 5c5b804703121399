/**
 * Client-side limiter for AllTick's REST limits (alltick-protocol.md §4.4), which count per token:
 * - a minimum gap between two calls of the same method (`/batch-kline` has its own, longer gap);
 * - at most `perMinute` calls in any sliding 60 s window, across all methods;
 * - after an HTTP 429 / ret 605, `backoff(ms)` pauses every call.
 *
 * `acquire(method)` resolves when the call may go. Waiters are served in arrival order: strictly
 * per method, and across methods the earliest-queued waiter that may go goes first (a waiter held
 * back only by its own method's gap does not block other methods). A call that would wait longer
 * than `maxWaitMs` is rejected with `RateLimitedError` instead: at once when the wait is certain,
 * otherwise when its deadline passes. Share one limiter between all clients of one token.
 */
import type { Plan } from './plans.js';

export const MINUTE_MS = 60_000;
export const BATCH_KLINE_METHOD = '/batch-kline' as const;
const MAX_TIMER_MS = 2_147_483_647;

export interface RateLimits {
  /** minimum gap between two calls of one method */
  perMethodIntervalMs: number;
  /** per-method gaps that differ from `perMethodIntervalMs` (e.g. `/batch-kline`) */
  methodIntervalMs?: Record<string, number>;
  /** calls per sliding minute across all methods */
  perMinute: number;
}

export function rateLimitsOf(plan: Plan): RateLimits {
  return {
    perMethodIntervalMs: plan.rest.perEndpointIntervalMs,
    methodIntervalMs: { [BATCH_KLINE_METHOD]: plan.rest.batchKlineIntervalMs },
    perMinute: plan.rest.perMinute,
  };
}

export interface RateLimiterOptions {
  /** the plan's limits, or explicit ones */
  limits: Plan | RateLimits;
  /** longest a call may wait before it is rejected (default 15 s; Infinity: never reject) */
  maxWaitMs?: number;
  /** clock, default Date.now; timers are the global setTimeout/clearTimeout */
  now?: () => number;
}

export interface RateLimiterStats {
  /** calls let through */
  calls: number;
  /** of those, calls that had to wait */
  waits: number;
  /** total time those calls waited */
  totalWaitMs: number;
  /** calls rejected with RateLimitedError */
  rejected: number;
  /** calls waiting now */
  queued: number;
}

export type LimitKind = 'method-gap' | 'per-minute' | 'backoff';

export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  constructor(
    readonly method: string,
    /** the limit that holds the call back */
    readonly limit: LimitKind,
    /** how much longer (at least) the call would have had to wait, in ms */
    readonly retryAfterMs: number,
    detail: string,
    maxWaitMs: number,
  ) {
    super(`AllTick REST ${method} rate-limited by ${detail}: would wait at least ${Math.ceil(retryAfterMs)} ms more ` + `(maxWaitMs ${maxWaitMs})`);
  }
}

/** What the REST client needs of a limiter: this in-process one, or the cluster's shared budget (src/cluster/rest-budget.ts). */
export interface RestLimiter {
  /** Waits until a call of `method` may go (and counts it as made), or rejects with RateLimitedError. */
  acquire(method: string): Promise<void>;
  /** Pauses every call for at least `ms` from now (after upstream said "too many requests"). */
  backoff(ms: number): void;
  /** Time left of the current backoff pause, 0 when none. */
  backoffRemainingMs(): number;
  stats(): RateLimiterStats;
}

interface Waiter {
  method: string;
  enqueuedAt: number;
  deadline: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Hold {
  /** earliest time the call may go */
  at: number;
  limit: LimitKind;
  detail: string;
}

export class RateLimiter implements RestLimiter {
  private readonly limits: RateLimits;
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  private readonly lastCall = new Map<string, number>();
  /** times of the calls in the current sliding minute, oldest first */
  private window: number[] = [];
  private backoffUntil = -Infinity;
  private queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private readonly counters = { calls: 0, waits: 0, totalWaitMs: 0, rejected: 0 };

  constructor(options: RateLimiterOptions) {
    this.limits = 'rest' in options.limits ? rateLimitsOf(options.limits) : options.limits;
    this.maxWaitMs = options.maxWaitMs ?? 15_000;
    this.now = options.now ?? Date.now;
    if (!(this.limits.perMinute >= 1)) throw new RangeError('perMinute must be at least 1');
  }

  /** Waits until a call of `method` may go (and counts it as made), or rejects with RateLimitedError. */
  acquire(method: string): Promise<void> {
    const now = this.now();
    this.prune(now);
    const hold = this.holdOf(method, now, this.queue);
    if (hold.at - now > this.maxWaitMs) {
      this.counters.rejected++;
      return Promise.reject(new RateLimitedError(method, hold.limit, hold.at - now, hold.detail, this.maxWaitMs));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ method, enqueuedAt: now, deadline: now + this.maxWaitMs, resolve, reject });
      this.pump(now);
    });
  }

  /** Pauses every call for at least `ms` from now (after upstream said "too many requests"). */
  backoff(ms: number): void {
    this.backoffUntil = Math.max(this.backoffUntil, this.now() + Math.max(0, ms));
    this.pump();
  }

  /** Time left of the current backoff pause, 0 when none. */
  backoffRemainingMs(): number {
    return Math.max(0, this.backoffUntil - this.now());
  }

  stats(): RateLimiterStats {
    return { ...this.counters, queued: this.queue.length };
  }

  private intervalOf(method: string): number {
    return this.limits.methodIntervalMs?.[method] ?? this.limits.perMethodIntervalMs;
  }

  private prune(now: number): void {
    let drop = 0;
    while (drop < this.window.length && this.window[drop]! <= now - MINUTE_MS) drop++;
    if (drop > 0) this.window = this.window.slice(drop);
  }

  /**
   * Earliest time a call of `method` may go, and which limit holds it. With `ahead` (the waiters in
   * front of a new call) it is a lower bound: each same-method waiter ahead costs one gap, and every
   * waiter ahead takes one slot of the minute.
   */
  private holdOf(method: string, now: number, ahead: readonly Waiter[] = []): Hold {
    const gap = this.intervalOf(method);
    const sameAhead = ahead.filter((w) => w.method === method).length;
    const queued = (n: number) => (n > 0 ? ` (${n} queued ahead)` : '');
    const holds: Hold[] = [
      { at: now, limit: 'method-gap', detail: '' },
      {
        at: Math.max(now, (this.lastCall.get(method) ?? -Infinity) + gap) + sameAhead * gap,
        limit: 'method-gap',
        detail: `the ${gap} ms gap between ${method} calls${queued(sameAhead)}`,
      },
      { at: this.backoffUntil, limit: 'backoff', detail: 'a backoff after upstream rate limiting' },
    ];
    // The call needs `excess` of the calls now in the window to have left it first.
    const excess = this.window.length + ahead.length + 1 - this.limits.perMinute;
    if (excess > 0) {
      const at = excess <= this.window.length ? this.window[excess - 1]! + MINUTE_MS : now + MINUTE_MS;
      holds.push({ at, limit: 'per-minute', detail: `the limit of ${this.limits.perMinute} calls per minute${queued(ahead.length)}` });
    }
    return latest(holds);
  }

  /**
   * Lets through, in queue order, every waiter that may go now, rejects expired ones, and sets the
   * timer for the next. Per method this is strictly FIFO: once the first waiter of a method goes,
   * the method's gap holds the ones behind it.
   */
  private pump(now = this.now()): void {
    this.prune(now);
    let next = Infinity;
    const remaining: Waiter[] = [];
    for (const waiter of this.queue) {
      const hold = this.holdOf(waiter.method, now);
      if (hold.at <= now) {
        this.grant(waiter, now);
      } else if (now >= waiter.deadline) {
        this.counters.rejected++;
        waiter.reject(new RateLimitedError(waiter.method, hold.limit, hold.at - now, hold.detail, this.maxWaitMs));
      } else {
        remaining.push(waiter);
        next = Math.min(next, hold.at, waiter.deadline);
      }
    }
    this.queue = remaining;
    this.schedule(next);
  }

  private grant(waiter: Waiter, now: number): void {
    this.lastCall.set(waiter.method, now);
    this.window.push(now);
    this.counters.calls++;
    const waited = now - waiter.enqueuedAt;
    if (waited > 0) {
      this.counters.waits++;
      this.counters.totalWaitMs += waited;
    }
    waiter.resolve();
  }

  private schedule(at: number): void {
    if (at === this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === Infinity) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, at - this.now())),
    );
  }
}

function latest(holds: Hold[]): Hold {
  return holds.reduce((a, b) => (b.at > a.at ? b : a));
}

/**
 * The plan's limits with every gap widened by `marginMs`: a call is granted here but counted by
 * AllTick when it arrives, and arrival jitter would otherwise put two calls closer than the gap.
 */
export function withMargin(limits: RateLimits, marginMs: number): RateLimits {
  const methodIntervalMs = Object.fromEntries(Object.entries(limits.methodIntervalMs ?? {}).map(([m, ms]) => [m, ms + marginMs]));
  return { ...limits, perMethodIntervalMs: limits.perMethodIntervalMs + marginMs, methodIntervalMs };
}
