/**
 * `/metrics`: scraped over HTTP while real graphql-ws and SSE clients come and go, the upstream is
 * killed and fed garbage, and REST calls wait for the rate limiter. The token never appears.
 * Plus a unit test of the quote stream's drop count and latency stamp chain.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Repeater } from 'graphql-yoga';
import type { Trade } from '../../../src/feed/alltick/protocol.js';
import { MarketFeed } from '../../../src/feed/feed.js';
import { FeedManager } from '../../../src/feed/manager.js';
import { MemoryBus } from '../../../src/bus/memory.js';
import { DeliveryMetrics } from '../../../src/metrics/delivery-metrics.js';
import { quoteStream } from '../../../src/schema/quote-stream.js';
import { collect, dispose, QUOTES_SUBSCRIPTION, sseClient, startStack, wsClient, type Stack } from '../../support/helpers.js';
import { parseMetrics } from '../../support/metrics.js';

const TOKEN = 'metrics-secret-token-7f3a';

async function scrape(stack: Stack) {
  const res = await fetch(`http://127.0.0.1:${stack.server.port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parseMetrics(await res.text());
}

describe('/metrics on a running server', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ sim: { ticksPerSecond: 20, plan: 'premium' }, env: { ALLTICK_TOKEN: TOKEN } });
    await vi.waitFor(async () => expect((await scrape(stack)).sum('alltick_upstream_ready')).toBe(1), { timeout: 5000 });
  });
  afterAll(dispose);

  it('client, subscription, ref-count, upstream and delivery series move when clients subscribe and leave', async () => {
    const before = await scrape(stack);
    expect(before.sum('alltick_subscriptions_active')).toBe(0);
    expect(before.sum('alltick_feed_leases')).toBe(0);
    expect(before.sum('alltick_client_connections')).toBe(0);

    const ws = collect(
      wsClient(stack).iterate<{ quotes: { symbol: string } }>({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['BTCUSDT', 'EURUSD'], depth: 1 } }),
    );
    const sse = collect(
      sseClient(stack).iterate<{ quotes: { symbol: string } }>({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['AAPL.US'], depth: 0 } }),
    );

    let during = before;
    await vi.waitFor(
      async () => {
        during = await scrape(stack);
        const m = during;
        expect(m.sum('alltick_client_connections', { transport: 'graphql-ws' })).toBe(1);
        expect(m.sum('alltick_client_connections', { transport: 'sse' })).toBe(1);
        expect(m.sum('alltick_subscriptions_active', { field: 'quotes', transport: 'graphql-ws' })).toBe(1);
        expect(m.sum('alltick_subscriptions_active', { field: 'quotes', transport: 'sse' })).toBe(1);
        expect(m.sum('alltick_feed_leases')).toBe(2);
        expect(m.sum('alltick_feed_refs')).toBe(3);
        expect(m.sum('alltick_upstream_symbols', { endpoint: 'quote', list: 'trades' })).toBe(2);
        expect(m.sum('alltick_upstream_symbols', { endpoint: 'quote', list: 'depth' })).toBe(2);
        expect(m.sum('alltick_upstream_symbols', { endpoint: 'stock', list: 'trades' })).toBe(1);
        expect(m.sum('alltick_upstream_symbols', { endpoint: 'stock', list: 'depth' })).toBe(0);
        expect(m.sum('alltick_upstream_frames_total', { type: 'trade' })).toBeGreaterThan(before.sum('alltick_upstream_frames_total', { type: 'trade' }));
        expect(m.sum('alltick_upstream_frames_total', { type: 'depth' })).toBeGreaterThan(0);
        expect(m.sum('alltick_upstream_frames_total', { type: 'ack' })).toBeGreaterThan(0);
        expect(m.sum('alltick_upstream_requests_total')).toBeGreaterThan(before.sum('alltick_upstream_requests_total'));
        expect(m.sum('alltick_cache_symbols')).toBe(3);
        expect(m.sum('alltick_events_out_total', { field: 'quotes', transport: 'graphql-ws' })).toBeGreaterThanOrEqual(Math.max(3, ws.items.length));
        expect(m.sum('alltick_events_out_total', { field: 'quotes', transport: 'sse' })).toBeGreaterThanOrEqual(Math.max(3, sse.items.length));
        expect(m.sum('alltick_delivery_latency_seconds_count', { stream: 'quotes' })).toBeGreaterThan(
          before.sum('alltick_delivery_latency_seconds_count', { stream: 'quotes' }),
        );
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(during.sum('alltick_subscriptions_started_total', { field: 'quotes' })).toBe(
      before.sum('alltick_subscriptions_started_total', { field: 'quotes' }) + 2,
    );
    expect(during.sum('alltick_upstream_last_message_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(during.has('alltick_upstream_last_message_age_seconds')).toBe(true);
    // live ticks are delivered within a second here: the histogram's +Inf bucket equals its 1 s bucket or nearly
    expect(during.sum('alltick_delivery_latency_seconds_bucket', { stream: 'quotes', le: '1' })).toBeGreaterThan(0);

    await ws.stop();
    await sse.stop();
    await vi.waitFor(
      async () => {
        const m = await scrape(stack);
        expect(m.sum('alltick_subscriptions_active')).toBe(0);
        expect(m.sum('alltick_client_connections')).toBe(0);
        expect(m.sum('alltick_feed_leases')).toBe(0);
        expect(m.sum('alltick_feed_refs')).toBe(0);
        // after LINGER_MS (300 ms in tests) the symbols leave the upstream lists
        expect(m.sum('alltick_upstream_symbols')).toBe(0);
      },
      { timeout: 8000, interval: 100 },
    );
  });

  it('counts reconnects and parse failures, and never shows the token', async () => {
    const before = await scrape(stack);
    expect(stack.sim.sendRaw('{"cmd_id": 22998, "data": ')).toBe(2); // one garbage frame per endpoint
    await vi.waitFor(async () => {
      const m = await scrape(stack);
      expect(m.sum('alltick_upstream_parse_failures_total', { endpoint: 'stock' })).toBe(
        before.sum('alltick_upstream_parse_failures_total', { endpoint: 'stock' }) + 1,
      );
      expect(m.sum('alltick_upstream_parse_failures_total', { endpoint: 'quote' })).toBe(
        before.sum('alltick_upstream_parse_failures_total', { endpoint: 'quote' }) + 1,
      );
      expect(m.sum('alltick_upstream_frames_total', { type: 'invalid' })).toBe(before.sum('alltick_upstream_frames_total', { type: 'invalid' }) + 2);
    });

    expect(stack.sim.killConnections()).toBe(2);
    await vi.waitFor(async () => {
      const m = await scrape(stack);
      expect(m.sum('alltick_upstream_reconnects_total')).toBe(before.sum('alltick_upstream_reconnects_total') + 2);
      expect(m.sum('alltick_upstream_ready')).toBe(0);
    });
    const whileDown = await scrape(stack);
    expect(whileDown.sum('alltick_upstream_connections', { state: 'connected' })).toBeLessThan(2);
    await vi.waitFor(
      async () => {
        const m = await scrape(stack);
        expect(m.sum('alltick_upstream_ready')).toBe(1);
        expect(m.sum('alltick_upstream_connections', { state: 'connected' })).toBe(2);
      },
      { timeout: 8000 },
    );

    const text = (await scrape(stack)).text;
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('token=');
  });

  it("counts this server's REST calls and rate-limit waits, and no other server's", async () => {
    // another server in the same process (its own simulator): its REST calls are its own metrics
    const other = await startStack({ sim: { plan: 'premium' } });
    // calls of the earlier tests still waiting for their turn would count after `before`
    await vi.waitFor(() => expect(stack.server.rest.limiter.stats().queued).toBe(0));
    const before = await scrape(stack);
    const otherBefore = await scrape(other);
    await other.server.rest.tradeTicks(['AAPL.US']);
    expect((await scrape(other)).sum('alltick_rest_calls_total')).toBe(otherBefore.sum('alltick_rest_calls_total') + 1);
    expect((await scrape(stack)).sum('alltick_rest_calls_total')).toBe(before.sum('alltick_rest_calls_total'));

    // the same method twice at once on this server's client: the second waits for the plan's
    // per-method gap (the first too when an earlier test's call was within that gap)
    await Promise.all([stack.server.rest.tradeTicks(['AAPL.US']), stack.server.rest.tradeTicks(['700.HK'])]);
    const after = await scrape(stack);
    expect(after.sum('alltick_rest_calls_total')).toBe(before.sum('alltick_rest_calls_total') + 2);
    expect(after.sum('alltick_rest_rate_limit_waits_total') - before.sum('alltick_rest_rate_limit_waits_total')).toBeGreaterThanOrEqual(1);
    expect(after.sum('alltick_rest_rate_limit_wait_seconds_total')).toBeGreaterThan(before.sum('alltick_rest_rate_limit_wait_seconds_total'));
    expect(after.text).not.toContain(TOKEN);
  });

  it("counts this server's deliveries and drops, and no other server's", async () => {
    // another server in the same process, with a client of its own: its deliveries are its own metrics
    const other = await startStack({ sim: { ticksPerSecond: 20, plan: 'premium' } });
    const before = await scrape(stack);
    const otherBefore = await scrape(other);
    const latencyCount = (m: Awaited<ReturnType<typeof scrape>>) => m.sum('alltick_delivery_latency_seconds_count', { stream: 'quotes' });
    const ws = collect(wsClient(other).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['BTCUSDT'], depth: 1 } }));
    await vi.waitFor(async () => expect(latencyCount(await scrape(other))).toBeGreaterThan(latencyCount(otherBefore) + 2), { timeout: 10_000 });
    await ws.stop();
    expect(latencyCount(await scrape(stack))).toBe(latencyCount(before));
  });

  it('answers only GET and HEAD', async () => {
    const res = await fetch(`http://127.0.0.1:${stack.server.port}/metrics`, { method: 'POST' });
    expect(res.status).toBe(405);
  });
});

describe('quote stream accounting', () => {
  const trade = (seq: number): Trade => ({
    kind: 'trade',
    symbol: 'BTCUSDT',
    seq: String(seq),
    time: Date.now(),
    price: `100.${seq}`,
    volume: '1',
    turnover: null,
    side: 'BUY',
  });
  const metrics = new DeliveryMetrics();
  const metric = async (name: string) => parseMetrics(await metrics.registry.metrics()).sum(name, { stream: 'quotes' });

  it('counts events conflated in a full queue as dropped and observes the latency of those delivered', async () => {
    const manager = new FeedManager({ sink: { setDesired: () => {} }, lingerMs: 0, capacity: { stock: 10, quote: 10 } });
    const feed = new MarketFeed(manager, new MemoryBus());
    const stream: Repeater<unknown> = quoteStream(feed, ['BTCUSDT'], 1, null, { metrics, maxQueue: 2 });
    const droppedBefore = await metric('alltick_events_dropped_total');
    const observedBefore = await metric('alltick_delivery_latency_seconds_count');

    const first = stream.next(); // starts the source: the lease is taken now
    await vi.waitFor(() => expect(manager.leaseCount).toBe(1));
    for (let seq = 1; seq <= 5; seq++) {
      feed.ingest(trade(seq));
    }
    // 1 went out at once; 2 and 3 filled the queue (max 2); 4 and 5 each replaced the queued latest
    expect(await metric('alltick_events_dropped_total')).toBe(droppedBefore + 2);
    expect(((await first).value as { price: string }).price).toBe('100.1');
    expect(((await stream.next()).value as { price: string }).price).toBe('100.2');
    expect(((await stream.next()).value as { price: string }).price).toBe('100.5');
    expect(await metric('alltick_delivery_latency_seconds_count')).toBe(observedBefore + 3);
    await stream.return(undefined);
    expect(manager.leaseCount).toBe(0);
  });
});
