/**
 * The REST client against the built-in simulator (src/simulator), with the simulator enforcing the
 * plan's REST limits: the client's own limiter must keep it from ever being refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AllTickError } from '../../../../src/feed/alltick/errors.js';
import { PLANS } from '../../../../src/feed/alltick/plans.js';
import { AllTickRestClient } from '../../../../src/feed/alltick/rest.js';
import { createSimulator, type Simulator } from '../../../../src/simulator/server.js';

const TOKEN = 'sim-token-secret';
let sim: Simulator;

beforeAll(async () => {
  sim = await createSimulator({ ticksPerSecond: 0, seed: 7, tokens: [TOKEN], plan: 'basic', restRateLimit: true });
});
afterAll(async () => {
  await sim.close();
});

describe('AllTickRestClient against the simulator', () => {
  it('reads ticks, books, K-lines and static info within the basic plan limits', async () => {
    const client = new AllTickRestClient({ baseUrl: sim.httpUrl, token: TOKEN, plan: PLANS.basic });
    const codes = ['AAPL.US', '700.HK', 'EURUSD', 'BTCUSDT'];

    const trades = await client.tradeTicks(codes);
    expect(trades.map((t) => t.symbol).sort()).toEqual([...codes].sort());
    for (const t of trades) {
      expect(t.price).toMatch(/^\d+(\.\d+)?$/);
      expect(t.time).toBeGreaterThan(1e12);
    }
    const books = await client.depthTicks(codes);
    expect(books.map((b) => b.symbol).sort()).toEqual([...codes].sort());

    const candles = await client.kline({ code: 'GOLD', klineType: 1, limit: 5 });
    expect(candles).toHaveLength(5);
    expect(candles.map((c) => c.time)).toEqual([...candles.map((c) => c.time)].sort((a, b) => a - b));
    expect(candles[1]!.time - candles[0]!.time).toBe(60_000);

    const batch = await client.batchKline([
      { code: 'GOLD', klineType: 8, limit: 2 },
      { code: 'EURUSD', klineType: 1, limit: 2 },
    ]);
    expect(batch.get('GOLD:8')).toHaveLength(2);
    expect(batch.get('EURUSD:1')).toHaveLength(2);

    const [info] = await client.staticInfo(['AAPL.US']);
    expect(info).toMatchObject({ symbol: 'AAPL.US', currency: 'USD' });

    // trade-tick and depth-tick went to both hosts; the limiter spaced same-method calls, so no 429
    expect(sim.record.restCalls).toHaveLength(7);
    expect(sim.record.restCalls.filter((call) => call.status !== 200 || call.ret !== 200)).toEqual([]);
    expect(client.limiter.stats()).toMatchObject({ calls: 7, rejected: 0 });
  });

  it('reports a bad token as AllTickError 401 without showing the token', async () => {
    const client = new AllTickRestClient({ baseUrl: sim.httpUrl, token: 'wrong-token-xyz', plan: PLANS.basic });
    const error = await client.kline({ code: 'GOLD', klineType: 1, limit: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllTickError);
    expect(error).toMatchObject({ ret: 401 });
    expect((error as Error).message).not.toContain('wrong-token-xyz');
  });

  it('a client without spacing gets HTTP 429 from the simulator and backs off', async () => {
    const unspaced = { ...PLANS.basic, rest: { ...PLANS.basic.rest, perEndpointIntervalMs: 0 } };
    const fresh = await createSimulator({ ticksPerSecond: 0, seed: 7, tokens: [TOKEN], plan: 'basic', restRateLimit: true });
    try {
      const client = new AllTickRestClient({ baseUrl: fresh.httpUrl, token: TOKEN, plan: unspaced });
      await client.staticInfo(['700.HK']);
      const error = await client.staticInfo(['700.HK']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AllTickError);
      expect(error).toMatchObject({ ret: 429, operation: '/static_info' });
      expect(client.limiter.backoffRemainingMs()).toBeGreaterThan(0);
    } finally {
      await fresh.close();
    }
  });
});
