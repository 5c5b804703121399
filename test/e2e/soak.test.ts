/** The soak script (bench/soak.ts) with a small count: everything is given back, nothing grows. */
import { describe, expect, it } from 'vitest';
import { runSoak } from '../../bench/soak.js';

describe('soak (small count; `npm run soak` runs 50,000 cycles)', () => {
  it('300 subscribe/unsubscribe cycles over graphql-ws and SSE leave no lease, no ref and no upstream list behind', { timeout: 60_000 }, async () => {
    const result = await runSoak({ cycles: 300, concurrency: 16, seed: 600 });
    expect(result.cycles.total).toBe(300);
    expect(result.cycles.ws).toBeGreaterThan(0);
    expect(result.cycles.wsDropped).toBeGreaterThan(0);
    expect(result.cycles.sse).toBeGreaterThan(0);
    expect(result.events).toBeGreaterThan(0);
    expect(result.leasesAfter).toBe(0);
    expect(result.refsAfter).toBe(0);
    expect(result.upstreamListsAfter).toEqual({ stock: { trades: 0, depth: 0 }, quote: { trades: 0, depth: 0 } });
    // a loose bound for a short run (gc timing); the long run's figure is in the README
    expect(result.heapGrowthMiB).toBeLessThan(15);
  });
});
