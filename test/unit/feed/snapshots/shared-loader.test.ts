/** The shared REST loader: one batch for keys of several requests, one batch in flight at a time, TTL, failures not kept. */
import { describe, expect, it } from 'vitest';
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

describe('sharedLoader', () => {
  it('merges the keys of several requests asked together into one batch, and reuses answers within the TTL', async () => {
    let now = 1_000;
    const r = recording();
    const shared = sharedLoader(r.batch, { ttlMs: 1_000, now: () => now });
    const [a, b] = [requestLoader(shared), requestLoader(shared)];
    expect(await Promise.all([a.load('AAPL.US'), b.load('EURUSD'), b.load('AAPL.US')])).toEqual(['v:AAPL.US', 'v:EURUSD', 'v:AAPL.US']);
    expect(r.batches).toEqual([['AAPL.US', 'EURUSD']]);

    now += 500;
    await requestLoader(shared).load('EURUSD'); // cached
    expect(r.batches).toHaveLength(1);
    now += 1_000;
    await requestLoader(shared).load('EURUSD'); // expired
    expect(r.batches).toHaveLength(2);
  });

  it('while a batch is out, the next one collects every key that comes meanwhile', async () => {
    const r = recording(50);
    const shared = sharedLoader(r.batch, { ttlMs: 1_000 });
    const first = requestLoader(shared).load('A');
    await new Promise((resolve) => setTimeout(resolve, 15)); // the first batch is out now
    const later = ['B', 'C', 'D'].map(async (k, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 10));
      return requestLoader(shared).load(k);
    });
    await Promise.all([first, ...later]);
    expect(r.batches).toEqual([['A'], ['B', 'C', 'D']]);
  });

  it('does not keep a failure: the next request asks again', async () => {
    const r = recording(1);
    const shared = sharedLoader(r.batch, { ttlMs: 60_000 });
    const request = requestLoader(shared); // a long-lived (subscription) context
    r.failNext();
    await expect(request.load('GOLD')).rejects.toThrow('upstream down');
    r.recover();
    expect(await request.load('GOLD')).toBe('v:GOLD');
    expect(r.batches).toEqual([['GOLD'], ['GOLD']]);
  });
});
