import { afterEach, describe, expect, it, vi } from 'vitest';
import { AllTickUpstream, assign } from '../../../src/feed/upstream.js';
import { PLANS } from '../../../src/feed/alltick/plans.js';
import { CapacityError, FeedManager } from '../../../src/feed/manager.js';
import { createSimulator, type Simulator } from '../../../src/simulator/server.js';

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
    sim = await createSimulator({ ticksPerSecond: 0, plan: 'premium', codesPerSubscription: 2, spacingMs: 30 }); // under the client's 50 + 5: the simulator reads frames late when this process is busy
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

  it('one subscribe budget for both endpoints: the gap setting spaces every list request of the token, across endpoints', async () => {
    const gap = 400;
    sim = await createSimulator({ ticksPerSecond: 0, spacingMs: 40, tokenSpacingMs: gap - 20 });
    upstream = new AllTickUpstream({ wsBaseUrl: sim.wsUrl, token: 't', plan: PLANS.basic, subscribeGapMs: gap, timings: { requestSpacingMs: 50 } });
    const manager = new FeedManager({ sink: upstream, lingerMs: 100, capacity: upstream.capacity });
    upstream.start();
    await vi.waitFor(() => expect(upstream.connected).toBe(true));
    manager.acquire(['AAPL.US', 'EURUSD'], 1);
    await vi.waitFor(
      () => {
        for (const endpoint of ['stock', 'quote'] as const) {
          const [session] = sim.sessions({ endpoint });
          expect(session?.tradeList.length).toBe(1);
          expect(session?.depthList.length).toBe(1);
        }
      },
      { timeout: 5000 },
    );
    const requests = [...sim.record.framesOf(22004), ...sim.record.framesOf(22002)].sort((a, b) => a.at - b.at);
    expect(requests).toHaveLength(4);
    for (let i = 1; i < requests.length; i++) expect(requests[i]!.at - requests[i - 1]!.at).toBeGreaterThanOrEqual(gap - 20);
    expect(sim.record.tokenSpacingViolations).toBe(0);
  });
});
