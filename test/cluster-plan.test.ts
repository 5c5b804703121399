/**
 * SPEC §6 "the plan is one budget for the whole cluster", end to end with real Redis, a simulator
 * that enforces the plan and several server processes: one REST budget, one symbol cap, the
 * reconnect gap across instances, and clean handovers. Each test has its own REDIS_PREFIX.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { PLANS } from '../src/feed/alltick/plans.js';
import { createSimulator, type Simulator } from '../src/simulator/server.js';
import type { SimulatorOptions } from '../src/simulator/options.js';
import { collect, dispose, FAST, type Collector, type QuoteData } from './helpers.js';
import { killAll, spawnInstance, type InstanceProcess } from './instance-process.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Quote = QuoteData & { event: 'SNAPSHOT' | 'TICK' | 'FEED_DOWN' | 'FEED_UP'; stale: boolean };
type Result = { data?: { quotes: Quote } | null; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] };
const SUBSCRIPTION = `subscription($symbols: [String!]!, $depth: Int) {
  quotes(symbols: $symbols, depth: $depth) { symbol price volume time seq event stale bids { price volume } asks { price volume } }
}`;

interface Cluster {
  sim: Simulator;
  prefix: string;
  instances: InstanceProcess[];
}

let redis: Redis | null = null;
const clusters: Cluster[] = [];
const clients: Client[] = [];

async function startCluster(count: number, sim: SimulatorOptions, env: Record<string, string> = {}): Promise<Cluster> {
  redis ??= new Redis(REDIS_URL);
  const simulator = await createSimulator({ ticksPerSecond: 2, tokenSpacingMs: 0, ...sim });
  const prefix = `test-plan-${randomBytes(4).toString('hex')}:`;
  const cluster: Cluster = { sim: simulator, prefix, instances: [] };
  clusters.push(cluster);
  const base = {
    ALLTICK_TOKEN: 'test-token',
    ALLTICK_WS_URL: simulator.wsUrl,
    ALLTICK_API_URL: simulator.httpUrl,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    LINGER_MS: '300',
    OPERATIONS_PER_SECOND: '0',
    ...env,
  };
  cluster.instances = await Promise.all(Array.from({ length: count }, () => spawnInstance(base)));
  await vi.waitFor(async () => {
    for (const i of cluster.instances) expect((await fetch(`${i.base}/ready`)).status).toBe(200);
  }, { timeout: 20_000, interval: 200 });
  return cluster;
}

async function ownerIndex(cluster: Cluster): Promise<number> {
  const value = await redis!.get(`${cluster.prefix}owner`);
  return cluster.instances.findIndex((i) => value?.startsWith(`${i.instanceId}:`));
}

function subscribe(instance: InstanceProcess, symbols: string[], depth = 0): Collector<Result> {
  const client = createClient({ url: instance.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  clients.push(client);
  return collect<Result>(client.iterate({ query: SUBSCRIPTION, variables: { symbols, depth } }) as AsyncIterableIterator<Result>);
}

async function query(instance: InstanceProcess, q: string) {
  const res = await fetch(instance.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) });
  return (await res.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function deleteKeys(prefix: string): Promise<void> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis!.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length) await redis!.del(...keys);
}

afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose();
  await dispose();
  await killAll();
  for (const cluster of clusters.splice(0)) {
    await cluster.sim.close();
    await deleteKeys(cluster.prefix);
  }
}, 30_000);

afterAll(() => {
  redis?.disconnect();
});

const codes = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}${String(i).padStart(3, '0')}USDT`);
const errorsOf = (sub: Collector<Result>) =>
  [...sub.items.flatMap((r) => r.errors ?? []), ...(sub.errors as { extensions?: Record<string, unknown> }[][]).flat()] as { extensions?: Record<string, unknown> }[];
/** the symbols of `symbols` that got a TICK on `sub` after the simulator's seq `afterSeq` */
const ticking = (sub: Collector<Result>, symbols: string[], since: number) => {
  const got = new Set(sub.items.slice(since).map((r) => r.data?.quotes).filter((q) => q?.event === 'TICK').map((q) => q!.symbol));
  return symbols.filter((s) => got.has(s));
};

describe('the plan is one budget for the whole cluster', () => {
  it('60 + 60 codes on two instances under Basic: the excess subscriber gets UPSTREAM_CAPACITY; all accepted symbols tick, also after an owner SIGKILL', async () => {
    const cap = PLANS.basic.codesPerSubscription;
    const cluster = await startCluster(2, { ticksPerSecond: 1, spacingMs: 20 }, { ALLTICK_TIMINGS: JSON.stringify({ ...FAST, requestSpacingMs: 100 }) });
    const [a, b] = cluster.instances as [InstanceProcess, InstanceProcess];
    const first = codes('A', 60);
    const subA = subscribe(a, first);
    await vi.waitFor(() => expect(ticking(subA, first, 0)).toEqual(first), { timeout: 15_000 });

    const excess = subscribe(b, codes('B', 60));
    await vi.waitFor(() => expect(excess.done).toBe(true), { timeout: 10_000 });
    expect(errorsOf(excess)[0]?.extensions).toMatchObject({ code: 'UPSTREAM_CAPACITY', endpoint: 'quote' });
    // what fits is accepted, on either instance
    const second = codes('B', cap - first.length);
    const subB = subscribe(b, second);
    await vi.waitFor(() => expect(ticking(subB, second, 0)).toEqual(second), { timeout: 15_000 });
    expect(cluster.sim.sessions({ endpoint: 'quote' }).map((s) => s.tradeList.length)).toEqual([cap]);
    expect(ticking(subA, first, 0)).toEqual(first);

    // the owner dies: the survivor's symbols tick again from the new owner, none left out
    const dead = await ownerIndex(cluster);
    const survivor = dead === 0 ? { sub: subB, symbols: second } : { sub: subA, symbols: first };
    const since = survivor.sub.items.length;
    await cluster.instances[dead]!.kill('SIGKILL');
    await vi.waitFor(async () => expect(await ownerIndex(cluster)).toBe(1 - dead), { timeout: 10_000, interval: 100 });
    await vi.waitFor(() => expect(ticking(survivor.sub, survivor.symbols, since)).toEqual(survivor.symbols), { timeout: 20_000 });
    expect(survivor.sub.done).toBe(false);
  }, 90_000);


  it('three instances hammering cold snapshot queries stay within the plan\'s REST rate: no 429, no failed query', async () => {
    const plan = PLANS.basic;
    const { sim, instances } = await startCluster(3, { restRateLimit: true, ticksPerSecond: 0 });
    // distinct cold symbols: every query needs AllTick REST (/trade-tick and /depth-tick)
    const rounds = 3;
    const answers = [];
    for (let round = 0; round < rounds; round++) {
      answers.push(
        ...(await Promise.all(
          instances.flatMap((instance, i) =>
            [0, 1, 2].map((k) => query(instance, `{ quote(symbol: "C${round}${i}${k}USDT", depth: 1) { symbol price seq } }`)),
          ),
        )),
      );
    }
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    expect(answers.every((a) => (a.data?.quote as { price: string | null } | null)?.price)).toBe(true);

    const calls = sim.record.restCalls;
    expect(calls.length).toBeGreaterThanOrEqual(rounds * 2); // at least one call per method and round
    expect(calls.filter((c) => c.status === 429)).toEqual([]);
    // the plan's rate as upstream counts it: per path ≥ the gap apart, ≤ perMinute in any minute
    const byPath = new Map<string, number[]>();
    for (const call of calls) byPath.set(call.path, [...(byPath.get(call.path) ?? []), call.at]);
    for (const times of byPath.values()) {
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(plan.rest.perEndpointIntervalMs);
    }
    for (const call of calls) expect(calls.filter((c) => c.at > call.at - 60_000 && c.at <= call.at).length).toBeLessThanOrEqual(plan.rest.perMinute);
  }, 90_000);
});
