/**
 * The token's REST budget shared by every instance (SPEC §6, design.md §5): AllTick counts REST
 * calls per token, so N instances with a limiter each would make N× the plan's rate. One Lua
 * script in Redis hands out call times instead: the earliest time that keeps the method's gap,
 * the calls-per-minute window and any pause after a 429 — for every instance at once — and books
 * it before answering, so callers only sleep until their time (no polling, first come first
 * served across the cluster). A 429 seen by any instance pauses them all (one pause-until key).
 * Times come from Redis (TIME), so the instances' clocks need not agree.
 *
 * When Redis cannot answer, calls fall back to this instance's own limiter: the service goes on,
 * at the risk of exceeding the plan while Redis is away (readiness already reports Redis down).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  MINUTE_MS,
  RateLimitedError,
  RateLimiter,
  type LimitKind,
  type RateLimiterStats,
  type RateLimits,
  type RestLimiter,
} from '../feed/alltick/rate-limiter.js';
import type { Logger } from '../logger.js';
import type { ClusterKeys } from './keys.js';

/**
 * Books the next call of a method. KEYS: last call per method (hash), calls of the window (zset),
 * pause-until. ARGV: method, gap ms, calls per window, window ms, longest wait ms, a unique member.
 * Returns {granted 0|1, wait ms, limit, pause left ms}; a call that would wait too long is not booked.
 */
const BOOK_CALL = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local windowMs = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - windowMs)
local at, limit = now, 'method-gap'
local last = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
if last and last + tonumber(ARGV[2]) > at then at = last + tonumber(ARGV[2]) end
local paused = tonumber(redis.call('GET', KEYS[3])) or 0
if paused > at then at, limit = paused, 'backoff' end
local perWindow = tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[2]) >= perWindow then
  local nth = redis.call('ZREVRANGE', KEYS[2], perWindow - 1, perWindow - 1, 'WITHSCORES')
  local bound = tonumber(nth[2]) + windowMs
  if bound > at then at, limit = bound, 'per-minute' end
end
local pausedFor = math.max(0, paused - now)
if at - now > tonumber(ARGV[5]) then return {0, at - now, limit, pausedFor} end
redis.call('HSET', KEYS[1], ARGV[1], at)
redis.call('PEXPIRE', KEYS[1], at - now + 600000)
redis.call('ZADD', KEYS[2], at, ARGV[6])
redis.call('PEXPIRE', KEYS[2], at - now + windowMs)
return {1, at - now, limit, pausedFor}`;

/** Pauses every instance's calls for ARGV[1] ms from now (never shortens a longer pause); returns the pause left. */
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilAt = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1])) or 0
if untilAt > current then redis.call('SET', KEYS[1], untilAt, 'PX', tonumber(ARGV[1]) + 1000) else untilAt = current end
return untilAt - now`;

/** The pause left (ms), 0 when none. */
const PAUSE_LEFT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return math.max(0, (tonumber(redis.call('GET', KEYS[1])) or 0) - now)`;

interface BudgetScripts {
  restBookCall(
    last: string,
    window: string,
    pause: string,
    method: string,
    gapMs: number,
    perWindow: number,
    windowMs: number,
    maxWaitMs: number,
    member: string,
  ): Promise<[number, number, string, number]>;
  restPause(pause: string, ms: number): Promise<number>;
  restPauseLeft(pause: string): Promise<number>;
}

function budgetScripts(redis: Redis): BudgetScripts {
  const definitions = { restBookCall: [3, BOOK_CALL], restPause: [1, PAUSE], restPauseLeft: [1, PAUSE_LEFT] } as const;
  for (const [name, [numberOfKeys, lua]] of Object.entries(definitions)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
  }
  // defineCommand adds the methods at run time; ioredis cannot type them
  return redis as unknown as BudgetScripts;
}

export interface SharedRateLimiterOptions {
  redis: Redis;
  keys: ClusterKeys;
  /** the plan's limits (with the arrival-jitter margin already added to the gaps) */
  limits: RateLimits;
  /** the margin the limits' gaps carry against arrival jitter; also added to the minute window */
  windowMarginMs: number;
  /** longest a call may wait before it is rejected (default 15 s, as the in-process limiter) */
  maxWaitMs?: number;
  logger: Pick<Logger, 'warn'>;
}

export class SharedRateLimiter implements RestLimiter {
  private readonly scripts: BudgetScripts;
  private readonly maxWaitMs: number;
  private readonly windowMs: number;
  /** used while Redis cannot answer */
  private readonly fallback: RateLimiter;
  /** the cluster-wide pause as last seen, in this process's clock */
  private pausedUntil = 0;
  private queued = 0;
  private readonly counters = { calls: 0, waits: 0, totalWaitMs: 0, rejected: 0 };
  /** how late after its slot a call may still go: half the margin the gaps carry */
  private readonly lateToleranceMs: number;

  constructor(private readonly opts: SharedRateLimiterOptions) {
    this.scripts = budgetScripts(opts.redis);
    this.maxWaitMs = opts.maxWaitMs ?? 15_000;
    this.windowMs = MINUTE_MS + opts.windowMarginMs;
    this.lateToleranceMs = opts.windowMarginMs / 2;
    this.fallback = new RateLimiter({ limits: opts.limits, maxWaitMs: this.maxWaitMs });
  }

  async acquire(method: string): Promise<void> {
    const started = Date.now();
    this.queued++;
    try {
      for (;;) {
        const maxWaitMs = this.maxWaitMs - (Date.now() - started);
        const booked = await this.book(method, Math.max(0, maxWaitMs));
        if (booked === null) return await this.fallback.acquire(method);
        const [granted, waitMs, limit, pausedFor] = booked;
        this.notePause(pausedFor);
        if (!granted) {
          this.counters.rejected++;
          throw new RateLimitedError(method, limit as LimitKind, waitMs, `the token's shared REST budget (${limit})`, this.maxWaitMs);
        }
        if (waitMs <= 0) break;
        const slotAt = Date.now() + waitMs;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        // a 429 elsewhere while we slept pauses this call too: book again after the pause
        if ((await this.pauseLeft()) > 0) continue;
        // late (a busy event loop, a slow answer): going now would crowd the call booked after ours, so book again
        if (Date.now() - slotAt <= this.lateToleranceMs) break;
      }
      this.counters.calls++;
      const waited = Date.now() - started;
      if (waited > 0) {
        this.counters.waits++;
        this.counters.totalWaitMs += waited;
      }
    } finally {
      this.queued--;
    }
  }

  backoff(ms: number): void {
    this.notePause(ms);
    this.fallback.backoff(ms);
    this.scripts.restPause(this.opts.keys.restPausedUntil, Math.max(0, Math.round(ms))).then(
      (left) => this.notePause(left),
      () => undefined, // Redis away: the fallback limiter pauses this instance
    );
  }

  backoffRemainingMs(): number {
    return Math.max(0, this.pausedUntil - Date.now());
  }

  stats(): RateLimiterStats {
    return { ...this.counters, queued: this.queued };
  }

  private notePause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  /** Books a time for the call in Redis, or null when Redis cannot answer. */
  private async book(method: string, maxWaitMs: number): Promise<[number, number, string, number] | null> {
    const { keys, limits } = this.opts;
    const gapMs = limits.methodIntervalMs?.[method] ?? limits.perMethodIntervalMs;
    try {
      const [granted, waitMs, limit, pausedFor] = await this.scripts.restBookCall(
        keys.restLastCall,
        keys.restWindow,
        keys.restPausedUntil,
        method,
        gapMs,
        limits.perMinute,
        this.windowMs,
        maxWaitMs,
        `${Date.now()}-${randomBytes(6).toString('hex')}`,
      );
      return [Number(granted), Number(waitMs), String(limit), Number(pausedFor)];
    } catch (error) {
      this.opts.logger.warn({ err: String(error), method }, "shared REST budget unavailable: this call uses the instance's own limiter");
      return null;
    }
  }

  private async pauseLeft(): Promise<number> {
    try {
      const left = Number(await this.scripts.restPauseLeft(this.opts.keys.restPausedUntil));
      this.notePause(left);
      return left;
    } catch {
      return 0;
    }
  }
}
