import { afterEach, describe, expect, it, vi } from 'vitest';
import { AllTickUpstream, assign } from '../src/feed/upstream.js';
import { PLANS } from '../src/feed/alltick/plans.js';
import { CapacityError, FeedManager } from '../src/feed/manager.js';
import { createSimulator, type Simulator } from '../src/simulator/server.js';

describe('assign', () => {
  it('keeps codes where they are and fills the first buckets with room', () => {
    expect(assign(['A', 'B', 'C', 'D', 'E'], [], 2, 3)).toEqual([['A', 'B'], ['C', 'D'], ['E']]);
    expect(assign(['B', 'C', 'D', 'E', 'F'], [['A', 'B'], ['C', 'D'], ['E']], 2, 3)).toEqual([['B', 'F'], ['C', 'D'], ['E']]);
  });

  it('leaves out what fits nowhere', () => {
    expect(assign(['A', 'B', 'C'], [], 1, 2)).toEqual([['A'], ['B']]);
  });
});

describe('AllTickUpstream', () => {
  let sim: Simulator;
  let upstream: AllTickUpstream;
  afterEach(async () => {
    await upstream?.stop();
    await sim?.close();
  });

  it('spreads codes beyond the per-subscription cap over further connections, and the manager refuses beyond all of them', async () => {
    sim = await createSimulator({ ticksPerSecond: 0, plan: 'premium', codesPerSubscription: 2, spacingMs: 40 });
    const plan = { ...PLANS.premium, codesPerSubscription: 2 };
    upstream = new AllTickUpstream({ wsBaseUrl: sim.wsUrl, token: 't', plan, timings: { requestSpacingMs: 50, subscribeSpacingMs: 0 } });
    const manager = new FeedManager({ sink: upstream, lingerMs: 100, capacity: upstream.capacity });
    upstream.start();
    manager.acquire(['AAPL.US', 'MSFT.US', 'NVDA.US', 'TSLA.US', 'AMZN.US'], 0);

    await vi.waitFor(() => {
      const lists = sim.sessions({ endpoint: 'stock' }).map((s) => s.tradeList);
      expect(lists).toHaveLength(3);
      expect(lists.flat().sort()).toEqual(['AAPL.US', 'AMZN.US', 'MSFT.US', 'NVDA.US', 'TSLA.US']);
      for (const list of lists) expect(list.length).toBeLessThanOrEqual(2);
    });
    expect(upstream.capacity.stock).toBe(6);
    manager.acquire(['META.US'], 0);
    expect(() => manager.acquire(['GOOGL.US'], 0)).toThrow(CapacityError);
    expect(sim.record.spacingViolations).toBe(0);
  });
});
