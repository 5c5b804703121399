import { describe, expect, it, vi, beforeEach, afterEach } from 'vitest';
import { CapacityError, FeedManager, type ListSink } from '../../../src/feed/manager.js';
import type { SubscriptionLists } from '../../../src/feed/alltick/connection.js';
import type { Endpoint } from '../../../src/feed/alltick/symbols.js';

class RecordingSink implements ListSink {
  readonly calls: { endpoint: Endpoint; lists: SubscriptionLists }[] = [];
  setDesired(endpoint: Endpoint, lists: SubscriptionLists): void {
    this.calls.push({ endpoint, lists });
  }
  last(endpoint: Endpoint): SubscriptionLists | undefined {
    return this.calls.filter((c) => c.endpoint === endpoint).at(-1)?.lists;
  }
}

const LINGER = 5000;
const settle = () => Promise.resolve(); // let the coalescing microtask run

describe('FeedManager', () => {
  let sink: RecordingSink;
  let manager: FeedManager;

  beforeEach(() => {
    vi.useFakeTimers();
    sink = new RecordingSink();
    manager = new FeedManager({ sink, lingerMs: LINGER, capacity: { stock: 3, quote: 100 } });
  });
  afterEach(() => vi.useRealTimers());

  it('routes stock codes to the stock endpoint and the rest to quote-b, with depth lists for depth ≥ 1', async () => {
    manager.acquire(['AAPL.US', '700.HK', 'EURUSD'], 5);
    await settle();
    expect(sink.last('stock')).toEqual({
      trades: ['700.HK', 'AAPL.US'],
      depth: [
        { code: '700.HK', depth_level: 5 },
        { code: 'AAPL.US', depth_level: 1 }, // US books have one level upstream
      ],
    });
    expect(sink.last('quote')).toEqual({ trades: ['EURUSD'], depth: [{ code: 'EURUSD', depth_level: 1 }] });
  });

  it('coalesces all changes made in one turn into one update per endpoint', async () => {
    manager.acquire(['700.HK'], 1);
    manager.acquire(['9988.HK'], 1);
    manager.acquire(['1288.HK'], 0);
    await settle();
    expect(sink.calls.filter((c) => c.endpoint === 'stock')).toHaveLength(1);
    expect(sink.last('stock')?.trades).toEqual(['1288.HK', '700.HK', '9988.HK']);
    expect(sink.last('stock')?.depth.map((e) => e.code)).toEqual(['700.HK', '9988.HK']);
  });

  it('depth 0 subscribes trades only', async () => {
    manager.acquire(['BTCUSDT'], 0);
    await settle();
    expect(sink.last('quote')).toEqual({ trades: ['BTCUSDT'], depth: [] });
  });

  it('holds the largest depth wanted, and keeps it through the linger when the deeper client leaves', async () => {
    const shallow = manager.acquire(['700.HK'], 2);
    const deep = manager.acquire(['700.HK'], 8);
    await settle();
    expect(sink.last('stock')?.depth).toEqual([{ code: '700.HK', depth_level: 8 }]);
    expect(manager.refCount('700.HK')).toBe(2);

    deep.release();
    await settle();
    expect(sink.last('stock')?.depth).toEqual([{ code: '700.HK', depth_level: 8 }]);
    vi.advanceTimersByTime(LINGER);
    await settle();
    expect(sink.last('stock')?.depth).toEqual([{ code: '700.HK', depth_level: 2 }]);
    shallow.release();
  });

  it('drops a symbol only after the linger, and a client returning within it causes no upstream change', async () => {
    const first = manager.acquire(['AAPL.US'], 1);
    await settle();
    const updates = sink.calls.length;
    first.release();
    vi.advanceTimersByTime(LINGER - 1);
    const again = manager.acquire(['AAPL.US'], 1);
    vi.advanceTimersByTime(LINGER * 2);
    await settle();
    expect(sink.calls.length).toBe(updates);
    again.release();
    vi.advanceTimersByTime(LINGER);
    await settle();
    expect(sink.last('stock')).toEqual({ trades: [], depth: [] });
    expect(manager.refCount('AAPL.US')).toBe(0);
  });

  it('release is idempotent: a double release does not steal another client’s reference', async () => {
    const a = manager.acquire(['GOLD'], 1);
    const b = manager.acquire(['GOLD'], 1);
    a.release();
    a.release();
    expect(manager.refCount('GOLD')).toBe(1);
    vi.advanceTimersByTime(LINGER * 2);
    await settle();
    expect(sink.last('quote')?.trades).toEqual(['GOLD']);
    b.release();
    expect(manager.totalRefs).toBe(0);
    expect(manager.leaseCount).toBe(0);
  });

  it('duplicate symbols in one lease count once', () => {
    const lease = manager.acquire(['EURUSD', 'EURUSD'], 1);
    expect(manager.refCount('EURUSD')).toBe(1);
    lease.release();
    expect(manager.refCount('EURUSD')).toBe(0);
  });

  it('refuses symbols beyond the plan capacity with a clear error and changes nothing', async () => {
    manager.acquire(['AAPL.US', 'MSFT.US', 'NVDA.US'], 1);
    await settle();
    const before = sink.calls.length;
    expect(() => manager.acquire(['TSLA.US', 'AAPL.US'], 1)).toThrow(CapacityError);
    expect(() => manager.acquire(['TSLA.US'], 1)).toThrow(/allows 3 symbols on the stock endpoint; cannot subscribe TSLA\.US/);
    await settle();
    expect(sink.calls.length).toBe(before);
    expect(manager.refCount('TSLA.US')).toBe(0);
    // a symbol that is already held does not need new room
    expect(() => manager.acquire(['AAPL.US'], 1)).not.toThrow();
  });

  it('lingering symbols make way for new ones when the capacity is full', async () => {
    const lease = manager.acquire(['AAPL.US', 'MSFT.US', 'NVDA.US'], 0);
    lease.release();
    manager.acquire(['TSLA.US'], 0);
    await settle();
    const trades = sink.last('stock')?.trades ?? [];
    expect(trades).toContain('TSLA.US');
    expect(trades).toHaveLength(3);
  });

  it('clear() empties every list', async () => {
    manager.acquire(['AAPL.US', 'BTCUSDT'], 3);
    manager.clear();
    await settle();
    expect(sink.last('stock')).toEqual({ trades: [], depth: [] });
    expect(sink.last('quote')).toEqual({ trades: [], depth: [] });
    expect(manager.totalRefs).toBe(0);
  });
});
