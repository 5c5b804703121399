/** The shared REST loader: one batch for keys of several requests, one batch in flight at a time, TTL, failures not kept. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { requestLoader, sharedLoader } from '../../../../src/feed/snapshots/shared-loader.js';

function recording(delayMs = 20) {
  const batches: string[][] = [];
  let fail = false;
  const batch = async (keys: readonly string[]) => {
    batches.push([...keys]);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (fail) throw new Error('upstream down');
    return keys.map((k) => `v:${k}`);
  };
  return { batches, batch, failNext: () => (fail = true), recover: () => (fail = false) };
}

/** Runs the fake timers until nothing is pending, then hands back `promise` (settled by then). */
async function withTimers<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {}); // the caller sees the rejection; this only keeps it from counting as unhandled meanwhile
  await vi.runAllTimersAsync();
  return promise;
}

describe('sharedLoader', () => {
  // the batches take (fake) time, so the tests say exactly when each request comes
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  it('merges the keys of several requests asked together into one batch, and reuses answers within the TTL', async () => {
    let now = 1_000;
    const r = recording();
    const shared = sharedLoader(r.batch, { ttlMs: 1_000, now: () => now });
    const [a, b] = [requestLoader(shared), requestLoader(shared)];
    expect(await withTimers(Promise.all([a.load('AAPL.US'), b.load('EURUSD'), b.load('AAPL.US')]))).toEqual(['v:AAPL.US', 'v:EURUSD', 'v:AAPL.US']);
    expect(r.batches).toEqual([['AAPL.US', 'EURUSD']]);

    now += 500;
    await withTimers(requestLoader(shared).load('EURUSD')); // cached
    expect(r.batches).toHaveLength(1);
    now += 1_000;
    await withTimers(requestLoader(shared).load('EURUSD')); // expired
    expect(r.batches).toHaveLength(2);
  });

  it('while a batch is out, the next one collects every key that comes meanwhile', async () => {
    const r = recording(50);
    const shared = sharedLoader(r.batch, { ttlMs: 1_000 });
    const first = requestLoader(shared).load('A');
    await vi.advanceTimersByTimeAsync(15); // the first batch is out now
    const later: Promise<string>[] = [];
    for (const k of ['B', 'C', 'D']) {
      later.push(requestLoader(shared).load(k)); // at 15, 25 and 35 ms: all before the first batch is back (50 ms)
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all([first, ...later]);
    expect(r.batches).toEqual([['A'], ['B', 'C', 'D']]);
  });

  it('does not keep a failure: the next request asks again', async () => {
    const r = recording(1);
    const shared = sharedLoader(r.batch, { ttlMs: 60_000 });
    const request = requestLoader(shared); // a long-lived (subscription) context
    r.failNext();
    await expect(withTimers(request.load('GOLD'))).rejects.toThrow('upstream down');
    r.recover();
    expect(await withTimers(request.load('GOLD'))).toBe('v:GOLD');
    expect(r.batches).toEqual([['GOLD'], ['GOLD']]);
  });
});
