/**
 * The cluster parts against a real Redis, in process: the lease and its fencing, demand keys and
 * their expiry, the shared cache's staleness rule, keys under the prefix, and a whole server
 * riding out a Redis outage (through a TCP proxy we can cut, since the shared Redis must stay up).
 */
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { clusterKeys } from '../../../src/cluster/keys.js';
import { RedisLink } from '../../../src/cluster/redis-link.js';
import { OwnerLease, type HeldLease } from '../../../src/cluster/lease.js';
import { DemandPublisher, readDemandUnion } from '../../../src/cluster/demand.js';
import { SharedCache } from '../../../src/cluster/shared-cache.js';
import { RedisTradeHistory } from '../../../src/cluster/redis-history.js';
import { DEFAULT_HISTORY_LIMITS } from '../../../src/feed/history/trade-history.js';
import type { Trade } from '../../../src/feed/alltick/protocol.js';
import { createLogger } from '../../../src/logger.js';
import { collect, dispose, startStack, wsClient, type QuoteData } from '../../support/helpers.js';
import { quietFor } from '../../support/time.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = `test-${randomBytes(4).toString('hex')}`;
const logger = createLogger('silent');
const links: RedisLink[] = [];
const usedPrefixes: string[] = [];

function prefix(name: string): string {
  const p = `${RUN}-${name}:`;
  usedPrefixes.push(p);
  return p;
}

async function newLink(url = REDIS_URL): Promise<RedisLink> {
  const link = new RedisLink(url, logger, 'test-instance');
  links.push(link);
  expect(await link.waitAttached(5000)).toBe(true);
  return link;
}

/** Resolves once Redis counts a subscriber on `channel` (a SUBSCRIBE is asynchronous). */
async function listening(link: RedisLink, channel: string): Promise<void> {
  await vi.waitFor(async () => expect((await link.cmd.pubsub('NUMSUB', channel))[1]).toBeGreaterThan(0), { interval: 10 });
}

const trade = (seq: string, time: number, price = '1.00'): Trade => ({
  kind: 'trade',
  symbol: 'AAPL.US',
  seq,
  time,
  price,
  volume: '1',
  turnover: null,
  side: 'BUY',
});

afterEach(dispose);

afterAll(async () => {
  await Promise.all(links.map((l) => l.close()));
  const redis = new Redis(REDIS_URL);
  for (const p of usedPrefixes) {
    const keys = await redis.keys(`${p.replace(/[*?[\]\\]/g, '\\$&')}*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

describe('keys', () => {
  it('every key and channel starts with REDIS_PREFIX, and the demand pattern matches only its own prefix', async () => {
    const keys = clusterKeys('app[1]*:');
    const names = [
      keys.owner,
      keys.fence,
      keys.closedAt('stock'),
      keys.socket('quote', 0),
      keys.codes('quote'),
      keys.restWindow,
      keys.status,
      keys.statusChannel,
      keys.rejections,
      keys.demandChanged,
      keys.demand('i1'),
      keys.last('AAPL.US'),
      keys.ticks('AAPL.US'),
    ];
    for (const name of names) expect(name.startsWith('app[1]*:')).toBe(true);

    const odd = prefix('odd[1]*');
    const other = prefix('odd1x');
    const link = await newLink();
    await link.cmd.set(clusterKeys(odd).demand('a'), JSON.stringify({ stock: { trades: ['AAPL.US'], depth: [] }, quote: { trades: [], depth: [] } }));
    await link.cmd.set(clusterKeys(other).demand('b'), JSON.stringify({ stock: { trades: ['MSFT.US'], depth: [] }, quote: { trades: [], depth: [] } }));
    const { demand } = await readDemandUnion(link.cmd, clusterKeys(odd));
    expect(demand.stock.trades).toEqual(['AAPL.US']);
  });
});

describe('lease', () => {
  const timings = { ttlMs: 600, renewMs: 150, acquireMs: 100 };

  it('one holder at a time; a dead holder is replaced after the TTL with a higher fence, and its writes are fenced out', async () => {
    const keys = clusterKeys(prefix('lease'));
    const [a, b] = [await newLink(), await newLink()];
    const leases = [new OwnerLease(a, keys, 'a', timings, logger), new OwnerLease(b, keys, 'b', timings, logger)];
    const acquired: HeldLease[] = [];
    for (const lease of leases) lease.on('acquired', (held) => acquired.push(held));
    leases.forEach((l) => l.start());

    await vi.waitFor(() => expect(acquired).toHaveLength(1));
    await quietFor(3 * timings.ttlMs, 'renewals keep it: nobody else gets it');
    expect(acquired).toHaveLength(1);
    const first = acquired[0]!;
    const holder = leases.findIndex((l) => l.current?.value === first.value);
    const other = 1 - holder;
    expect(await a.cmd.get(keys.owner)).toBe(first.value);

    // the holder dies without a word: its Redis link goes, the key stays until its TTL
    const lost: string[] = [];
    leases[holder]!.on('lost', (_h, reason) => lost.push(reason));
    // the key lives on for what its last renewal left of the TTL (up to renewMs less than ttlMs)
    const leftMs = await [a, b][other]!.cmd.pttl(keys.owner);
    const diedAt = Date.now();
    await [a, b][holder]!.close();
    expect(lost).toEqual(['closing']); // it stops at once
    await vi.waitFor(() => expect(acquired).toHaveLength(2), { timeout: 3000 });
    expect(leftMs).toBeGreaterThan(0);
    expect(Date.now() - diedAt).toBeGreaterThanOrEqual(leftMs - 20); // not taken before the key expired
    const second = acquired[1]!;
    expect(leases[other]!.current).toEqual(second);
    expect(second.fence).toBeGreaterThan(first.fence);

    const cache = new SharedCache([a, b][other]!.cmd, keys, DEFAULT_HISTORY_LIMITS);
    expect(await cache.publish(first, trade('100', 1000))).toBe('fenced-out');
    expect(await cache.publish(second, trade('100', 1000))).toBe('published');
    await leases[other]!.stop();
    expect(await [a, b][other]!.cmd.get(keys.owner)).toBeNull(); // a graceful stop frees it at once
  });
});

describe('shared cache', () => {
  it('keeps the newest update per kind and publishes only what it keeps', async () => {
    const keys = clusterKeys(prefix('cache'));
    const link = await newLink();
    const lease = new OwnerLease(link, keys, 'solo', { ttlMs: 5000, renewMs: 1000, acquireMs: 100 }, logger);
    const held = await new Promise<HeldLease>((resolve) => {
      lease.once('acquired', resolve);
      lease.start();
    });
    const received: string[] = [];
    const stop = link.listen(keys.ticks('AAPL.US'), (text) => received.push(JSON.parse(text).event.seq));
    await listening(link, keys.ticks('AAPL.US'));
    const cache = new SharedCache(link.cmd, keys, DEFAULT_HISTORY_LIMITS);

    expect(await cache.publish(held, trade('1000000000000005', 2000, '10.5'))).toBe('published');
    expect(await cache.publish(held, trade('1000000000000005', 2000, '10.5'))).toBe('stale'); // a repeat
    expect(await cache.publish(held, trade('1000000000000004', 1999))).toBe('stale'); // older
    expect(await cache.publish(held, trade('999999999999999', 3000, '11.0'))).toBe('published'); // shorter seq, later: a reset upstream
    await vi.waitFor(() => expect(received).toEqual(['1000000000000005', '999999999999999']));

    const [snapshot, none] = await cache.read(['AAPL.US', 'GOLD']);
    expect(snapshot).toMatchObject({ symbol: 'AAPL.US', trade: { price: '11.0', seq: '999999999999999' }, book: null });
    expect(none).toBeUndefined();
    stop();
    await lease.stop();
  });
});

describe('shared trade history', () => {
  it('the owner appends each kept trade once, capped; ids travel with the messages; a replay says when it no longer reaches back', async () => {
    const keys = clusterKeys(prefix('history'));
    const link = await newLink();
    const lease = new OwnerLease(link, keys, 'solo', { ttlMs: 5000, renewMs: 1000, acquireMs: 100 }, logger);
    const held = await new Promise<HeldLease>((resolve) => {
      lease.once('acquired', resolve);
      lease.start();
    });
    const limits = { maxTrades: 100, maxAgeMs: 60_000 };
    const cache = new SharedCache(link.cmd, keys, limits);
    const history = new RedisTradeHistory(link, keys, limits);
    const ids: string[] = [];
    const stop = link.listen(keys.ticks('AAPL.US'), (text) => ids.push(JSON.parse(text).id));
    await link.whenListening(keys.ticks('AAPL.US'));
    for (let i = 1; i <= 400; i++) expect(await cache.publish(held, trade(String(1e15 + i), 1000 + i))).toBe('published');
    expect(await cache.publish(held, trade(String(1e15 + 400), 1400))).toBe('stale'); // a repeat is not appended
    await vi.waitFor(() => expect(ids).toHaveLength(400));
    expect(new Set(ids).size).toBe(400);

    const recent = await history.recent('AAPL.US', 3);
    expect(recent.map((t) => [t.seq, t.id])).toEqual([398, 399, 400].map((i, k) => [String(1e15 + i), ids[397 + k]]));
    const kept = await link.cmd.xlen(keys.history('AAPL.US'));
    expect(kept).toBeGreaterThanOrEqual(100);
    expect(kept).toBeLessThan(400); // capped (approximately: whole stream nodes go)
    const near = await history.since('AAPL.US', ids[390]!);
    expect(near.complete).toBe(true);
    expect(near.trades.map((t) => t.id)).toEqual(ids.slice(391));
    const far = await history.since('AAPL.US', ids[0]!);
    expect(far.complete).toBe(false);
    expect(far.trades.at(-1)?.id).toBe(ids[399]);
    const [snapshot] = await cache.read(['AAPL.US']);
    expect(snapshot?.trade?.id).toBe(ids[399]); // the shared cache's trade carries its id too
    stop();
    await lease.stop();
  });
});

describe('demand', () => {
  it('the owner sees the union of every instance; a graceful leave withdraws at once, a dead instance after the TTL', async () => {
    const keys = clusterKeys(prefix('demand'));
    // a TTL well above the refresh: a refresh late by more than the TTL (a loaded CI machine) re-announces the demand, which would be a notice
    const timings = { ttlMs: 2000, refreshMs: 200 };
    const [a, b, reader] = [await newLink(), await newLink(), await newLink()];
    const notices: string[] = [];
    reader.listen(keys.demandChanged, (id) => notices.push(id));
    await listening(reader, keys.demandChanged);
    const pa = new DemandPublisher(a, keys, 'a', timings, logger);
    const pb = new DemandPublisher(b, keys, 'b', timings, logger);
    pa.start();
    pb.start();
    pa.setDesired('stock', { trades: ['700.HK', 'AAPL.US'], depth: [{ code: '700.HK', depth_level: 3 }] });
    pb.setDesired('stock', { trades: ['700.HK'], depth: [{ code: '700.HK', depth_level: 8 }] });
    pb.setDesired('quote', { trades: ['EURUSD'], depth: [] });

    await vi.waitFor(async () => {
      const { demand, instances } = await readDemandUnion(reader.cmd, keys);
      expect(instances).toBe(2);
      expect(demand).toEqual({
        stock: { trades: ['700.HK', 'AAPL.US'], depth: [{ code: '700.HK', depth_level: 8 }] },
        quote: { trades: ['EURUSD'], depth: [] },
      });
    });
    // Each instance announces two changes: its start (empty lists) and its lists (the setDesired calls
    // coalesce into the write in flight). A notice follows its SET, so it may arrive after the union reads.
    const count = (id: string) => notices.filter((notice) => notice === id).length;
    await vi.waitFor(() => expect([count('a'), count('b')]).toEqual([2, 2]));
    const noticesBefore = notices.length;
    await quietFor(3 * timings.refreshMs, 'refreshes of unchanged demand are silent');
    expect(notices).toHaveLength(noticesBefore);

    await pa.stop();
    const { demand: afterLeave } = await readDemandUnion(reader.cmd, keys);
    expect(afterLeave.stock).toEqual({ trades: ['700.HK'], depth: [{ code: '700.HK', depth_level: 8 }] });
    await vi.waitFor(() => expect(notices.at(-1)).toBe('a'));

    // b dies: no more refreshes, nothing deleted; its demand expires by itself
    const diedAt = Date.now();
    await b.close();
    await vi.waitFor(async () => expect((await readDemandUnion(reader.cmd, keys)).instances).toBe(0), { timeout: timings.ttlMs + 2000, interval: 50 });
    expect(Date.now() - diedAt).toBeLessThanOrEqual(timings.ttlMs + 1000);
    await pb.stop();
  });
});

/** A TCP proxy to Redis that can be cut: `down()` drops every connection and refuses new ones. */
async function redisProxy(target: URL): Promise<{ url: string; down(): void; up(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    down() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    up() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a server in cluster mode when Redis fails', () => {
  type Status = { connected: boolean; connections: { endpoint: string; state: string; reason: string | null }[] };
  type StatusResult = { data?: { feedStatus: Status } };
  type QuoteResult = { data?: { quotes: QuoteData & { event: string } } };
  const QUOTES_WITH_EVENT = 'subscription($symbols: [String!]!, $depth: Int) { quotes(symbols: $symbols, depth: $depth) { symbol price seq event } }';

  it('turns not ready and tells feedStatus subscribers; when Redis returns it is ready again and subscriptions get fresh data', async () => {
    const proxy = await redisProxy(new URL(REDIS_URL));
    try {
      const stack = await startStack({ env: { REDIS_URL: proxy.url, REDIS_PREFIX: prefix('outage') } });
      const base = stack.url.replace('/graphql', '');
      const readyStatus = async () => (await fetch(`${base}/ready`)).status;
      await vi.waitFor(async () => expect(await readyStatus()).toBe(200), { timeout: 10_000, interval: 100 });

      const status = collect<StatusResult>(
        wsClient(stack).iterate({
          query: 'subscription { feedStatus { connected connections { endpoint state reason } } }',
        }) as AsyncIterableIterator<StatusResult>,
      );
      const quotes = collect<QuoteResult>(
        wsClient(stack).iterate({ query: QUOTES_WITH_EVENT, variables: { symbols: ['AAPL.US'], depth: 0 } }) as AsyncIterableIterator<QuoteResult>,
      );
      const events = () => quotes.items.map((r) => r.data?.quotes.event);
      await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.tradeList).toEqual(['AAPL.US']), { timeout: 5000 });
      const before = stack.sim.pushTrade('AAPL.US', { price: '190.000000' }).data;
      await vi.waitFor(() => expect(quotes.items.at(-1)?.data?.quotes.seq).toBe(before.seq), { timeout: 5000 });
      expect(status.items.at(-1)?.data?.feedStatus.connected).toBe(true);

      proxy.down();
      await vi.waitFor(async () => expect(await readyStatus()).toBe(503), { timeout: 5000, interval: 100 });
      await vi.waitFor(
        () => {
          const last = status.items.at(-1)?.data?.feedStatus;
          expect(last?.connected).toBe(false);
          expect(last?.connections.map((c) => c.reason)).toContain('Redis unavailable');
        },
        { timeout: 5000 },
      );
      await vi.waitFor(() => expect(events().at(-1)).toBe('FEED_DOWN'), { timeout: 5000 });
      // the owner cut off from Redis stops and closes its upstream
      await vi.waitFor(() => expect(stack.sim.sessions()).toHaveLength(0), { timeout: 5000 });

      proxy.up();
      await vi.waitFor(async () => expect(await readyStatus()).toBe(200), { timeout: 15_000, interval: 200 });
      await vi.waitFor(() => expect(status.items.at(-1)?.data?.feedStatus.connected).toBe(true), { timeout: 5000 });
      await vi.waitFor(() => expect(events()).toContain('FEED_UP'), { timeout: 5000 });
      await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.tradeList).toEqual(['AAPL.US']), { timeout: 5000 });
      const after = stack.sim.pushTrade('AAPL.US', { price: '191.000000' }).data;
      await vi.waitFor(() => expect(quotes.items.at(-1)?.data?.quotes).toMatchObject({ seq: after.seq, price: '191.000000' }), { timeout: 5000 });
      expect(quotes.done).toBe(false);
    } finally {
      await dispose();
      await proxy.close();
    }
  }, 40_000);
});
