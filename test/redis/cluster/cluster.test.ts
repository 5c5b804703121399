/**
 * SPEC §6 end to end: three server processes sharing one Redis and one simulator (in this
 * process). One upstream subscription for all, snapshots from any instance, owner failover within
 * 10 s without duplicate seq, and the demand of a dead instance expiring within 15 s.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { Cmd } from '../../../src/feed/alltick/protocol.js';
import { createSimulator, type Simulator } from '../../../src/simulator/server.js';
import { collect, dispose, FAST, type Collector, type QuoteData } from '../../support/helpers.js';
import { killAll, spawnInstance, type InstanceProcess } from '../../support/instance-process.js';
import { deleteKeysWithPrefix } from '../../support/redis-keys.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `test-${randomBytes(4).toString('hex')}:`;
/** the symbol only instance i wants */
const OWN = ['MSFT.US', 'NVDA.US', 'TSLA.US'];

/** `event` tells ticks from in-band feed status (FEED_DOWN/FEED_UP restate the current quote, with seq null) */
type Quote = QuoteData & { event: 'SNAPSHOT' | 'TICK' | 'FEED_DOWN' | 'FEED_UP' };
type Result = { data?: { quotes: Quote } | null; errors?: readonly { message: string }[] };
const SUBSCRIPTION = `subscription($symbols: [String!]!, $depth: Int) {
  quotes(symbols: $symbols, depth: $depth) { symbol price volume time seq event bids { price volume } asks { price volume } }
}`;

let sim: Simulator;
let redis: Redis;
let instances: InstanceProcess[] = [];
const clients: Client[] = [];
/** per instance: its client's subscription to AAPL.US + its own symbol */
let subs: Collector<Result>[] = [];

function subscribe(instance: InstanceProcess, symbols: string[], depth: number): Collector<Result> {
  const client = createClient({ url: instance.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  clients.push(client);
  return collect<Result>(client.iterate({ query: SUBSCRIPTION, variables: { symbols, depth } }) as AsyncIterableIterator<Result>);
}

async function query(instance: InstanceProcess, q: string) {
  const res = await fetch(instance.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) });
  return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

const stockList = () => sim.sessions({ endpoint: 'stock' }).map((s) => s.tradeList);

async function ownerIndex(): Promise<number> {
  const value = await redis.get(`${PREFIX}owner`);
  return instances.findIndex((i) => value?.startsWith(`${i.instanceId}:`));
}

const quotesOf = (sub: Collector<Result>, symbol: string) => sub.items.map((r) => r.data?.quotes).filter((q): q is Quote => q?.symbol === symbol);

/** No event, status events included, repeats a seq already delivered for its symbol; status events carry none. */
function expectNoDuplicateSeq(sub: Collector<Result>) {
  const seen = new Map<string, Set<string>>();
  for (const { data } of sub.items) {
    const q = data!.quotes;
    if (q.event === 'FEED_DOWN' || q.event === 'FEED_UP') {
      expect(q.seq, `${q.symbol} ${q.event}`).toBeNull();
      continue;
    }
    const set = seen.get(q.symbol) ?? new Set();
    expect(set.has(q.seq!), `${q.symbol} seq ${q.seq} delivered twice`).toBe(false);
    set.add(q.seq!);
    seen.set(q.symbol, set);
  }
}

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  // generous spacing margin: four busy processes on two cores delay frames unevenly
  sim = await createSimulator({ ticksPerSecond: 4, spacingMs: 20, tokenSpacingMs: 0 });
  const env = {
    ALLTICK_TOKEN: 'test-token',
    ALLTICK_WS_URL: sim.wsUrl,
    ALLTICK_API_URL: sim.httpUrl,
    ALLTICK_TIMINGS: JSON.stringify({ ...FAST, requestSpacingMs: 100, ackTimeoutMs: 10_000 }),
    REDIS_URL,
    REDIS_PREFIX: PREFIX,
    LINGER_MS: '300',
  };
  instances = await Promise.all([0, 1, 2].map(() => spawnInstance(env)));
}, 60_000);

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await dispose();
  await killAll();
  await sim?.close();
  if (redis) {
    await deleteKeysWithPrefix(redis, PREFIX);
    redis.disconnect();
  }
}, 30_000);

describe('three instances sharing one Redis', () => {
  it('clients on different instances subscribing to the same symbol produce one upstream subscription', async () => {
    await vi.waitFor(
      async () => {
        for (const i of instances) expect((await fetch(`${i.base}/ready`)).status).toBe(200);
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(await ownerIndex()).toBeGreaterThanOrEqual(0);

    subs = instances.map((instance, i) => subscribe(instance, ['AAPL.US', OWN[i]!], 1));
    const fx = [subscribe(instances[0]!, ['EURUSD'], 1), subscribe(instances[2]!, ['EURUSD'], 0)];

    await vi.waitFor(
      () => {
        expect(stockList()).toEqual([['AAPL.US', 'MSFT.US', 'NVDA.US', 'TSLA.US']]);
        expect(sim.sessions({ endpoint: 'quote' }).map((s) => s.depthList)).toEqual([[{ code: 'EURUSD', depth_level: 1 }]]);
      },
      { timeout: 10_000 },
    );
    // one connection per endpoint ever, whatever the number of instances and clients
    expect(sim.allSessions()).toHaveLength(2);

    const { data } = sim.pushTrade('AAPL.US', { price: '201.250000' });
    await vi.waitFor(
      () => {
        for (const sub of subs) expect(quotesOf(sub, 'AAPL.US').map((q) => q.seq)).toContain(data.seq);
      },
      { timeout: 5000 },
    );
    // every subscription's first event of a symbol is a SNAPSHOT, whether it came from REST or from Redis
    await vi.waitFor(
      () => {
        for (const [i, sub] of subs.entries()) for (const symbol of ['AAPL.US', OWN[i]!]) expect(quotesOf(sub, symbol)[0]?.event).toBe('SNAPSHOT');
      },
      { timeout: 5000 },
    );
    // every instance shows the owner's upstream in feedStatus
    for (const instance of instances) {
      await vi.waitFor(
        async () => {
          const body = await query(instance, '{ feedStatus { connected connections { endpoint state trades } } }');
          expect(body.data?.feedStatus).toEqual({
            connected: true,
            connections: [
              { endpoint: 'STOCK', state: 'CONNECTED', trades: ['AAPL.US', 'MSFT.US', 'NVDA.US', 'TSLA.US'] },
              { endpoint: 'QUOTE', state: 'CONNECTED', trades: ['EURUSD'] },
            ],
          });
        },
        { timeout: 5000 },
      );
    }
    // …and in /metrics: the owner's upstream, not this instance's idle one
    for (const instance of instances) {
      const text = await (await fetch(`${instance.base}/metrics`)).text();
      expect(text).toMatch(/^alltick_upstream_ready 1$/m);
      expect(text).toMatch(/^alltick_upstream_connections\{endpoint="stock",state="connected"\} 1$/m);
      expect(text).toMatch(/^alltick_upstream_symbols\{endpoint="stock",list="trades"\} 4$/m);
    }
    const eurusd = sim.pushTrade('EURUSD', { price: '1.08512' }).data;
    await vi.waitFor(
      () => {
        for (const sub of fx) expect(quotesOf(sub, 'EURUSD').find((q) => q.seq === eurusd.seq)?.price).toBe('1.08512');
      },
      { timeout: 5000 },
    );
  });

  it('a snapshot query on any instance returns the latest price, also for symbols it does not follow', { timeout: 30_000 }, async () => {
    // the subscriptions' first-data REST reads (cold symbols) are over: they share the token's one
    // REST budget, so they may still be queued; one answering after the push below would supersede it
    await vi.waitFor(() => expect(Date.now() - (sim.record.restCalls.at(-1)?.at ?? 0)).toBeGreaterThan(1500), { timeout: 15_000, interval: 100 });
    sim.pause();
    const aapl = sim.pushTrade('AAPL.US', { price: '202.500000', volume: '7' }).data;
    const msft = sim.pushTrade('MSFT.US', { price: '411.100000' }).data; // followed by instance 0 only
    await vi.waitFor(() => expect(quotesOf(subs[0]!, 'MSFT.US').at(-1)?.seq).toBe(msft.seq), { timeout: 5000 });
    const restCalls = sim.record.restCalls.length;
    for (const instance of instances) {
      await vi.waitFor(
        async () => {
          const body = await query(
            instance,
            '{ quote(symbol: "AAPL.US", depth: 0) { price volume seq } quotes(symbols: ["MSFT.US"], depth: 0) { symbol price seq } }',
          );
          expect(body.data).toEqual({
            quote: { price: '202.500000', volume: '7', seq: aapl.seq },
            quotes: [{ symbol: 'MSFT.US', price: '411.100000', seq: msft.seq }],
          });
        },
        { timeout: 5000 },
      );
    }
    // answered from the caches (the shared one in Redis for MSFT.US on instances 1 and 2), not from AllTick REST
    expect(sim.record.restCalls.slice(restCalls)).toEqual([]);
    sim.resume();
  });

  it("a code AllTick refuses on the owner's connection fails the subscription that asked for it on another instance", async () => {
    sim.failCode('ZZZZ.US', 604);
    const owner = await ownerIndex();
    const asker = instances[[0, 1, 2].find((i) => i !== owner)!]!;
    const bad = subscribe(asker, ['ZZZZ.US'], 0);
    await vi.waitFor(() => expect(bad.done).toBe(true), { timeout: 10_000 });
    const errors = [...bad.items.flatMap((r) => r.errors ?? []), ...(bad.errors as { extensions?: unknown }[][]).flat()] as { extensions?: unknown }[];
    expect(errors[0]?.extensions).toMatchObject({ code: 'UPSTREAM_REJECTED', symbol: 'ZZZZ.US', ret: 604 });
    await vi.waitFor(() => expect(stockList()[0]).not.toContain('ZZZZ.US'), { timeout: 5000 });
    sim.failCode('ZZZZ.US', null);
    for (const sub of subs) expect(sub.done).toBe(false);
  });

  it('SIGKILL of the owner: another instance owns the upstream within 10 s, resubscribes the union, survivors continue without duplicate seq', async () => {
    const dead = await ownerIndex();
    expect(dead).toBeGreaterThanOrEqual(0);
    const survivors = [0, 1, 2].filter((i) => i !== dead);
    const oldSession = sim.sessions({ endpoint: 'stock' })[0]!.id;
    const killedAt = Date.now();
    await instances[dead]!.kill('SIGKILL');

    await vi.waitFor(async () => expect(survivors).toContain(await ownerIndex()), { timeout: 10_000, interval: 100 });
    const tookOverMs = Date.now() - killedAt;
    expect(tookOverMs).toBeLessThan(10_000);

    // the new owner's own connection holds the union (the dead one's demand included until it expires)
    await vi.waitFor(
      () => {
        const [session] = sim.sessions({ endpoint: 'stock' });
        expect(session?.id).not.toBe(oldSession);
        for (const i of survivors) expect(session?.tradeList).toEqual(expect.arrayContaining(['AAPL.US', OWN[i]!]));
      },
      { timeout: 5000 },
    );
    expect(sim.sessions()).toHaveLength(2);

    // fresh data on the survivors' existing subscriptions
    const fresh = sim.pushTrade('AAPL.US', { price: '203.000000' }).data;
    await vi.waitFor(
      () => {
        for (const i of survivors) expect(quotesOf(subs[i]!, 'AAPL.US').map((q) => q.seq)).toContain(fresh.seq);
      },
      { timeout: 5000 },
    );
    // the same update sent again (as AllTick may after a resubscribe) is not delivered twice
    sim.pushTrade('AAPL.US', fresh);
    const after = sim.pushTrade('AAPL.US', { price: '203.500000' }).data;
    await vi.waitFor(
      () => {
        for (const i of survivors) expect(quotesOf(subs[i]!, 'AAPL.US').map((q) => q.seq)).toContain(after.seq);
      },
      { timeout: 5000 },
    );
    // the survivors were told: FEED_DOWN while no owner held the upstream, FEED_UP once the new one's lists were acknowledged
    await vi.waitFor(
      () => {
        for (const i of survivors) expect(quotesOf(subs[i]!, 'AAPL.US').map((q) => q.event)).toEqual(expect.arrayContaining(['FEED_DOWN', 'FEED_UP']));
      },
      { timeout: 5000 },
    );
    for (const i of survivors) {
      expect(subs[i]!.done).toBe(false);
      expectNoDuplicateSeq(subs[i]!);
    }
    // a new subscription on a survivor to a symbol another instance follows: its first event, replayed from Redis, is a SNAPSHOT
    const latecomer = subscribe(instances[survivors[0]!]!, [OWN[survivors[1]!]!], 0);
    await vi.waitFor(() => expect(latecomer.items.length).toBeGreaterThan(0), { timeout: 5000 });
    expect(latecomer.items[0]?.data?.quotes.event).toBe('SNAPSHOT');
    await latecomer.stop();

    // the dead owner's own symbol leaves upstream once its demand expires (SPEC: within 15 s)
    await vi.waitFor(() => expect(stockList()[0]).not.toContain(OWN[dead]), { timeout: Math.max(1000, 15_000 - (Date.now() - killedAt)), interval: 200 });
    console.log(`owner takeover after ${tookOverMs} ms; dead owner's demand gone after ${Date.now() - killedAt} ms`);
  }, 30_000);

  it('an instance that leaves (SIGKILL) releases its demand within the TTL; the others keep theirs', async () => {
    const owner = await ownerIndex();
    const alive = instances.map((inst, i) => ({ inst, i })).filter(({ inst }) => inst.child.exitCode === null && inst.child.signalCode === null);
    const leaving = alive.find(({ i }) => i !== owner)!.i;
    const killedAt = Date.now();
    await instances[leaving]!.kill('SIGKILL');

    await vi.waitFor(() => expect(stockList()[0]).not.toContain(OWN[leaving]), { timeout: 15_000, interval: 200 });
    const releasedMs = Date.now() - killedAt;
    expect(releasedMs).toBeLessThan(15_000);
    expect(stockList()[0]).toEqual(expect.arrayContaining(['AAPL.US', OWN[owner]!]));
    const last = sim.pushTrade(OWN[owner]!, { price: '99.000000' }).data;
    await vi.waitFor(() => expect(quotesOf(subs[owner]!, OWN[owner]!).map((q) => q.seq)).toContain(last.seq), { timeout: 5000 });
    console.log(`demand of the killed instance gone after ${releasedMs} ms`);
  }, 30_000);

  it('the last instance stopping gracefully empties the upstream lists and leaves no lease or demand behind', async () => {
    const last = instances.find((i) => i.child.exitCode === null && i.child.signalCode === null)!;
    const frames = sim.record.frames.length;
    await last.kill('SIGTERM');
    expect(last.child.exitCode).toBe(0);
    expect(sim.record.frames.slice(frames).some((f) => f.cmd_id === Cmd.Cancel)).toBe(true);
    await vi.waitFor(() => expect(sim.sessions()).toHaveLength(0));
    expect(await redis.get(`${PREFIX}owner`)).toBeNull();
    expect(await redis.exists(`${PREFIX}demand:${last.instanceId}`)).toBe(0);
  });
});
