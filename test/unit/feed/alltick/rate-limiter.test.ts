import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PLANS } from '../../../../src/feed/alltick/plans.js';
import { RateLimitedError, RateLimiter, type RateLimits } from '../../../../src/feed/alltick/rate-limiter.js';

/** Settlement of a promise, observable without awaiting it. */
function track(promise: Promise<void>) {
  const state: { done: boolean; at?: number; error?: unknown } = { done: false };
  promise.then(
    () => Object.assign(state, { done: true, at: Date.now() }),
    (error: unknown) => Object.assign(state, { done: true, at: Date.now(), error }),
  );
  return state;
}

const limits = (l: Partial<RateLimits>): RateLimits => ({ perMethodIntervalMs: 0, perMinute: 1_000, ...l });

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

const T0 = 1_000_000;

describe('RateLimiter', () => {
  it('keeps the minimum gap between calls of one method, and not between different methods', async () => {
    const limiter = new RateLimiter({ limits: limits({ perMethodIntervalMs: 1_000 }) });
    const a1 = track(limiter.acquire('/trade-tick'));
    const a2 = track(limiter.acquire('/trade-tick'));
    const b1 = track(limiter.acquire('/depth-tick'));
    await vi.advanceTimersByTimeAsync(0);
    expect(a1).toMatchObject({ done: true, at: T0 });
    expect(b1).toMatchObject({ done: true, at: T0 });
    expect(a2.done).toBe(false);
    await vi.advanceTimersByTimeAsync(999);
    expect(a2.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(a2).toMatchObject({ done: true, at: T0 + 1_000 });
    expect(a2.error).toBeUndefined();
  });

  it('gives /batch-kline its own gap from the plan (basic: 1 s per method, 3 s for batch-kline)', async () => {
    const limiter = new RateLimiter({ limits: PLANS.basic });
    const calls = ['/kline', '/kline', '/batch-kline', '/batch-kline'].map((m) => track(limiter.acquire(m)));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.map((c) => c.at! - T0)).toEqual([0, 1_000, 0, 3_000]);
  });

  it('caps calls per sliding minute across all methods', async () => {
    const limiter = new RateLimiter({ limits: limits({ perMinute: 3 }), maxWaitMs: 120_000 });
    const at = async (t: number, method: string) => {
      await vi.advanceTimersByTimeAsync(T0 + t - Date.now());
      return track(limiter.acquire(method));
    };
    const early = [await at(0, '/a'), await at(10_000, '/b'), await at(20_000, '/c')];
    await vi.advanceTimersByTimeAsync(0);
    expect(early.map((c) => c.at! - T0)).toEqual([0, 10_000, 20_000]);
    const fourth = await at(30_000, '/d');
    await vi.advanceTimersByTimeAsync(29_999); // t = 59 999: the call at 0 is still in the window
    expect(fourth.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(fourth).toMatchObject({ done: true, at: T0 + 60_000 });
    // window now holds 10 s, 20 s, 60 s: the next slot opens when the 10 s call leaves, at 70 s
    const fifth = await at(61_000, '/a');
    await vi.advanceTimersByTimeAsync(8_999);
    expect(fifth.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(fifth).toMatchObject({ done: true, at: T0 + 70_000 });
  });

  it('serves waiters first come, first served: per method, and across methods when the minute is full', async () => {
    const limiter = new RateLimiter({ limits: limits({ perMethodIntervalMs: 1_000, perMinute: 2 }), maxWaitMs: 600_000 });
    const order: string[] = [];
    const go = (method: string, name: string) => limiter.acquire(method).then(() => order.push(name));
    // two calls fill the minute; the rest queue in this order
    const all = [go('/z', 'z1'), go('/m', 'm1'), go('/a', 'a1'), go('/z', 'z2'), go('/m', 'm2'), go('/a', 'a2')];
    await vi.advanceTimersByTimeAsync(200_000);
    await Promise.all(all);
    expect(order).toEqual(['z1', 'm1', 'a1', 'z2', 'm2', 'a2']);

    const sameMethod: [number, number][] = [];
    const burst = new RateLimiter({ limits: limits({ perMethodIntervalMs: 500 }), maxWaitMs: 10_000 });
    const start = Date.now();
    const waits = [0, 1, 2, 3, 4].map((i) => burst.acquire('/kline').then(() => sameMethod.push([i, Date.now() - start])));
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all(waits);
    expect(sameMethod).toEqual([
      [0, 0],
      [1, 500],
      [2, 1_000],
      [3, 1_500],
      [4, 2_000],
    ]);
  });

  it('does not let a waiter held by its own method gap block other methods', async () => {
    const limiter = new RateLimiter({ limits: limits({ perMethodIntervalMs: 10_000 }), maxWaitMs: 60_000 });
    await limiter.acquire('/a');
    const a = track(limiter.acquire('/a'));
    const b = track(limiter.acquire('/b'));
    await vi.advanceTimersByTimeAsync(0);
    expect(b).toMatchObject({ done: true, at: T0 });
    expect(a.done).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(a).toMatchObject({ done: true, at: T0 + 10_000 });
  });

  it('rejects at once, naming the limit and the wait, when the wait would exceed maxWaitMs', async () => {
    const limiter = new RateLimiter({ limits: limits({ perMethodIntervalMs: 10_000 }), maxWaitMs: 15_000 });
    const first = track(limiter.acquire('/trade-tick'));
    const second = track(limiter.acquire('/trade-tick')); // 10 s: allowed
    const third = limiter.acquire('/trade-tick'); // 20 s: rejected now
    const error = await third.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    const rle = error as RateLimitedError;
    expect(rle.limit).toBe('method-gap');
    expect(rle.retryAfterMs).toBe(20_000);
    expect(rle.message).toMatch(/\/trade-tick/);
    expect(rle.message).toMatch(/10000 ms gap/);
    expect(rle.message).toMatch(/20000 ms/);
    expect(limiter.stats()).toMatchObject({ rejected: 1, queued: 1 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(first).toMatchObject({ done: true, at: T0 });
    expect(second).toMatchObject({ done: true, at: T0 + 10_000 });
    expect(second.error).toBeUndefined();

    const minute = new RateLimiter({ limits: limits({ perMinute: 1 }), maxWaitMs: 1_000 });
    await minute.acquire('/a');
    const byMinute = await minute.acquire('/b').catch((e: unknown) => e);
    expect(byMinute).toMatchObject({ limit: 'per-minute', retryAfterMs: 60_000 });
    expect((byMinute as Error).message).toMatch(/1 calls per minute/);
  });

  it('rejects a queued call when its deadline passes (here: a backoff arrived after it queued)', async () => {
    const limiter = new RateLimiter({ limits: limits({ perMethodIntervalMs: 1_000 }), maxWaitMs: 5_000 });
    await limiter.acquire('/kline');
    const queued = track(limiter.acquire('/kline'));
    limiter.backoff(30_000);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(queued.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(queued.done).toBe(true);
    expect(queued.at).toBe(T0 + 5_000);
    expect(queued.error).toBeInstanceOf(RateLimitedError);
    expect(queued.error).toMatchObject({ limit: 'backoff', retryAfterMs: 25_000 });
    expect(limiter.stats()).toMatchObject({ calls: 1, rejected: 1, queued: 0 });
  });

  it('backoff pauses every method until it ends', async () => {
    const limiter = new RateLimiter({ limits: limits({}), maxWaitMs: 15_000 });
    limiter.backoff(4_000);
    expect(limiter.backoffRemainingMs()).toBe(4_000);
    const a = track(limiter.acquire('/a'));
    const b = track(limiter.acquire('/b'));
    await vi.advanceTimersByTimeAsync(3_999);
    expect([a.done, b.done]).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(1);
    expect(a).toMatchObject({ done: true, at: T0 + 4_000 });
    expect(b).toMatchObject({ done: true, at: T0 + 4_000 });
    // a longer pause than maxWaitMs: new calls are refused at once
    limiter.backoff(20_000);
    const refused = await limiter.acquire('/a').catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'RateLimitedError', limit: 'backoff', retryAfterMs: 20_000 });
    // a shorter backoff never shortens a running one
    limiter.backoff(1_000);
    expect(limiter.backoffRemainingMs()).toBe(20_000);
  });

  it('counts calls, waits, total wait and rejections', async () => {
    const limiter = new RateLimiter({ limits: limits({ perMethodIntervalMs: 2_000 }), maxWaitMs: 3_000 });
    const calls = [limiter.acquire('/a'), limiter.acquire('/a'), limiter.acquire('/a').catch(() => 'rejected')];
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await Promise.all(calls)).toEqual([undefined, undefined, 'rejected']);
    expect(limiter.stats()).toEqual({ calls: 2, waits: 1, totalWaitMs: 2_000, rejected: 1, queued: 0 });
  });

  it('uses an injected clock for its decisions', async () => {
    let now = 0;
    const limiter = new RateLimiter({ limits: limits({ perMethodIntervalMs: 10_000 }), maxWaitMs: 5_000, now: () => now });
    await limiter.acquire('/a');
    await expect(limiter.acquire('/a')).rejects.toMatchObject({ retryAfterMs: 10_000 });
    now = 10_000;
    await expect(limiter.acquire('/a')).resolves.toBeUndefined();
  });
});
