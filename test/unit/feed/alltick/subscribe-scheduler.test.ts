import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SubscribeScheduler } from '../../../../src/feed/alltick/subscribe-scheduler.js';
import { systemClock } from '../../../../src/feed/manager.js';

const GAP = 3000;
const SPACING = 1000;

/**
 * A model of the token's four lists (two connections × trades/depth): each has a wanted version
 * and the version upstream holds; a connection sends at most once per SPACING. Every change
 * records how long it took to reach upstream and how many lists were waiting when it was made.
 */
function model(scheduler: SubscribeScheduler) {
  const lists = new Map<string, { wanted: number; held: number; since: number | null; connection: string }>();
  const lastSendOf = new Map<string, number>();
  const sends: { key: string; at: number }[] = [];
  const delays: { key: string; delay: number; bound: number }[] = [];
  const changesWaiting = new Map<string, { at: number; bound: number }[]>();

  const waitingCount = () => [...lists.values()].filter((l) => l.wanted !== l.held).length;

  const change = (key: string) => {
    const connection = key.split(':')[0] as string;
    const list = lists.get(key) ?? { wanted: 0, held: 0, since: null, connection };
    lists.set(key, list);
    list.wanted++;
    const now = Date.now();
    const changes = changesWaiting.get(key) ?? [];
    changes.push({ at: now, bound: (waitingCount() + 1) * GAP });
    changesWaiting.set(key, changes);
    scheduler.want(key, {
      readyAt: () => (lastSendOf.get(connection) ?? -Infinity) + SPACING,
      send: () => {
        const at = Date.now();
        list.held = list.wanted; // the latest wanted state goes
        lastSendOf.set(connection, at);
        sends.push({ key, at });
        for (const c of changesWaiting.get(key) ?? []) delays.push({ key, delay: at - c.at, bound: c.bound });
        changesWaiting.set(key, []);
        return true;
      },
    });
  };
  return { change, sends, delays, lists, pending: () => [...changesWaiting.values()].flat().length };
}

describe('subscribe scheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a trade list that changes every slot for 30 s holds back neither a depth change nor the other endpoint', () => {
    const scheduler = new SubscribeScheduler(GAP, systemClock);
    const m = model(scheduler);
    m.change('stock-0:trades');
    vi.advanceTimersByTime(10);
    m.change('stock-0:depth');
    m.change('quote-0:depth');
    // the trade list keeps changing: once before every slot, for 30 s
    for (let t = 0; t < 30_000; t += GAP / 2) {
      m.change('stock-0:trades');
      vi.advanceTimersByTime(GAP / 2);
    }
    vi.advanceTimersByTime(4 * GAP);
    const first = (key: string) => m.sends.find((s) => s.key === key)?.at ?? Infinity;
    // three lists waited: the depth lists go in the second and third slots, not after 30 s
    expect(first('stock-0:depth') - 1_000_000).toBeLessThanOrEqual(3 * GAP);
    expect(first('quote-0:depth') - 1_000_000).toBeLessThanOrEqual(3 * GAP);
    for (const d of m.delays) expect(d.delay, `${d.key}`).toBeLessThanOrEqual(d.bound);
    expect(m.pending()).toBe(0);
  });

  it('all four lists under random churn keep the bound, and no two requests come closer than the gap', () => {
    const scheduler = new SubscribeScheduler(GAP, systemClock);
    const m = model(scheduler);
    const keys = ['stock-0:trades', 'stock-0:depth', 'quote-0:trades', 'quote-0:depth'];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      if (random() < 0.6) m.change(keys[Math.floor(random() * keys.length)] as string);
      vi.advanceTimersByTime(Math.floor(random() * 400));
    }
    vi.advanceTimersByTime(5 * GAP);
    expect(m.pending()).toBe(0);
    expect(m.delays.length).toBeGreaterThan(500);
    for (const d of m.delays) expect(d.delay, `${d.key}`).toBeLessThanOrEqual(d.bound);
    for (let i = 1; i < m.sends.length; i++) expect(m.sends[i]!.at - m.sends[i - 1]!.at).toBeGreaterThanOrEqual(GAP);
    // every list got its turns
    for (const key of keys) expect(m.sends.filter((s) => s.key === key).length).toBeGreaterThan(20);
  });

  it('coalesces: a list that changes while it waits goes once, with its latest state', () => {
    const scheduler = new SubscribeScheduler(GAP, systemClock);
    const m = model(scheduler);
    m.change('stock-0:trades'); // goes at once
    for (let i = 0; i < 5; i++) m.change('stock-0:depth');
    vi.advanceTimersByTime(GAP);
    expect(m.sends.map((s) => s.key)).toEqual(['stock-0:trades', 'stock-0:depth']);
    expect(m.lists.get('stock-0:depth')).toMatchObject({ wanted: 5, held: 5 });
  });

  it('the gap setting spaces the requests, and a connection that is not ready does not block the others', () => {
    for (const gap of [500, 2000, 4000]) {
      const scheduler = new SubscribeScheduler(gap, systemClock);
      const sent: number[] = [];
      const start = Date.now();
      const list = (readyAt: number) => ({ readyAt: () => readyAt, send: () => (sent.push(Date.now() - start), true) });
      scheduler.want('a', list(start));
      scheduler.want('down', list(Infinity)); // a disconnected connection: never ready
      scheduler.want('b', list(start));
      scheduler.want('c', list(start));
      vi.advanceTimersByTime(10 * Math.max(gap, 1));
      expect(sent).toEqual([0, gap, 2 * gap]);
      expect(scheduler.queue()).toEqual([{ key: 'down', since: start, expectedAt: null }]);
      scheduler.stop();
    }
  });

  it('queue() says, longest-waiting first, roughly when each list goes', () => {
    const scheduler = new SubscribeScheduler(GAP, systemClock);
    const start = Date.now();
    const ready = { readyAt: () => start, send: () => true };
    scheduler.want('first', ready);
    vi.advanceTimersByTime(0); // 'first' takes the slot at start
    vi.advanceTimersByTime(100);
    scheduler.want('second', ready);
    scheduler.want('third', ready);
    expect(scheduler.queue()).toEqual([
      { key: 'second', since: start + 100, expectedAt: start + GAP },
      { key: 'third', since: start + 100, expectedAt: start + 2 * GAP },
    ]);
  });
});
