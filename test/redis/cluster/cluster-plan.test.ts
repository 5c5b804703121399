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
import { PLANS } from '../../../src/feed/alltick/plans.js';
import { Cmd } from '../../../src/feed/alltick/protocol.js';
import { jitterMargin } from '../../../src/feed/alltick/connection.js';
import type { Endpoint } from '../../../src/feed/alltick/symbols.js';
import { createSimulator, type Simulator } from '../../../src/simulator/server.js';
import type { SimulatorOptions } from '../../../src/simulator/options.js';
import { collect, dispose, FAST, type Collector, type QuoteData } from '../../support/helpers.js';
import { killAll, spawnInstance, type InstanceProcess } from '../../support/instance-process.js';
import { elapse, quietFor } from '../../support/time.js';
import { deleteKeysWithPrefix } from '../../support/redis-keys.js';

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
  // 60 + 60 codes are more than the catalogue holds: let the simulator invent the rest
  const simulator = await createSimulator({ ticksPerSecond: 2, tokenSpacingMs: 0, catalogueOnly: false, ...sim });
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
    // quick failovers and expiries: lease 2 s, demand 3 s
    CLUSTER_TIMINGS: JSON.stringify({ leaseTtlMs: 2000, leaseRenewMs: 600, leaseAcquireMs: 300, demandTtlMs: 3000, demandRefreshMs: 1000, reconcileMs: 1000 }),
    ...env,
  };
  cluster.instances = await Promise.all(Array.from({ length: count }, () => spawnInstance(base)));
  await vi.waitFor(
    async () => {
      for (const i of cluster.instances) expect((await fetch(`${i.base}/ready`)).status).toBe(200);
    },
    { timeout: 20_000, interval: 200 },
  );
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

afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose();
  await dispose();
  await killAll();
  for (const cluster of clusters.splice(0)) {
    await cluster.sim.close();
    await deleteKeysWithPrefix(redis!, cluster.prefix);
  }
}, 30_000);

afterAll(() => {
  redis?.disconnect();
});

const codes = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}${String(i).padStart(3, '0')}USDT`);
const errorsOf = (sub: Collector<Result>) =>
  [...sub.items.flatMap((r) => r.errors ?? []), ...(sub.errors as { extensions?: Record<string, unknown> }[][]).flat()] as {
    extensions?: Record<string, unknown>;
  }[];
/** the symbols of `symbols` that got a TICK on `sub` after the simulator's seq `afterSeq` */
const ticking = (sub: Collector<Result>, symbols: string[], since: number) => {
  const got = new Set(
    sub.items
      .slice(since)
      .map((r) => r.data?.quotes)
      .filter((q) => q?.event === 'TICK')
      .map((q) => q!.symbol),
  );
  return symbols.filter((s) => got.has(s));
};

/** upstream timings of these tests: short spacing, a reconnect gap long enough to measure */
const GAP_MS = 1500;
const SLOT_MS = 250;
const GAP_WITH_MARGIN_MS = GAP_MS + jitterMargin(GAP_MS);
const TIMINGS = JSON.stringify({ ...FAST, requestSpacingMs: SLOT_MS, subscribeSpacingMs: 0, reconnectGapMs: GAP_MS });

/** The simulator's log of one endpoint: never two sockets open at once, none refused for the connection cap, every reconnect ≥ the gap. */
function expectOneSocketAtATime(sim: Simulator, endpoint: Endpoint) {
  const connections = sim.record.connectionsOf(endpoint);
  for (let i = 1; i < connections.length; i++) {
    const before = connections[i - 1]!;
    expect(before.closedAt, `${endpoint} connection ${i - 1} still open when ${i} opened`).toBeDefined();
    expect(connections[i]!.openedAt).toBeGreaterThanOrEqual(before.closedAt!);
  }
  expect(sim.record.upgrades.filter((u) => u.endpoint === endpoint && u.outcome !== 'accepted')).toEqual([]);
  // the gap with its margin for clocks and arrival, less what the simulator's own event loop may be late
  for (const gap of sim.record.reconnectGaps(endpoint)) expect(gap).toBeGreaterThanOrEqual(GAP_WITH_MARGIN_MS - 50);
}

describe('the plan is one budget for the whole cluster', () => {
  it('SIGSTOP of the owner past its lease: the successor waits for its sockets to close and the gap; never two sockets of an endpoint at once', async () => {
    const cluster = await startCluster(2, { ticksPerSecond: 4, spacingMs: 20 }, { ALLTICK_TIMINGS: TIMINGS });
    const owner = await ownerIndex(cluster);
    const other = 1 - owner;
    const symbols = ['AAPL.US', 'BTCUSDT'];
    const sub = subscribe(cluster.instances[other]!, symbols);
    await vi.waitFor(() => expect(ticking(sub, symbols, 0)).toEqual(symbols), { timeout: 15_000 });

    const frozen = cluster.instances[owner]!;
    frozen.child.kill('SIGSTOP');
    try {
      // the lease runs out (2 s): the other instance takes it, but opens nothing while the frozen sockets may be open
      await vi.waitFor(async () => expect(await ownerIndex(cluster)).toBe(other), { timeout: 10_000, interval: 100 });
      await quietFor(1500, "the new owner opens no socket while the frozen owner's may still be open");
      expect(cluster.sim.allSessions().filter((s) => s.closedAt === undefined)).toHaveLength(2);
      expect(cluster.sim.record.upgrades.filter((u) => u.outcome !== 'accepted')).toEqual([]);
    } finally {
      frozen.child.kill('SIGCONT');
    }
    // the frozen owner wakes, finds its lease gone and closes; the new owner connects a gap later
    const since = sub.items.length;
    await vi.waitFor(() => expect(ticking(sub, symbols, since)).toEqual(symbols), { timeout: 15_000 });
    expect(sub.done).toBe(false);
    expect(cluster.sim.allSessions()).toHaveLength(4);
    for (const endpoint of ['stock', 'quote'] as const) expectOneSocketAtATime(cluster.sim, endpoint);
  }, 90_000);

  it('owner SIGTERM with its clients moving to the other instance: nothing the upstream sent after the new subscribe is missing; the outage is the gap plus two slots', async () => {
    const cluster = await startCluster(2, { ticksPerSecond: 0, spacingMs: 20 }, { ALLTICK_TIMINGS: TIMINGS });
    const owner = await ownerIndex(cluster);
    const [leaving, staying] = [cluster.instances[owner]!, cluster.instances[1 - owner]!];
    const symbol = 'ETHUSDT';
    const before = subscribe(leaving, [symbol]);
    // a client already there: the symbol is not cold on the other instance (no REST snapshot mixed in)
    const resident = subscribe(staying, [symbol]);
    await vi.waitFor(() => expect(cluster.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual([symbol]), { timeout: 10_000 });
    await vi.waitFor(() => expect(resident.items.length).toBeGreaterThan(0), { timeout: 5000 });

    // upstream sends a trade every 40 ms throughout
    const pushed: { seq: string; at: number; delivered: number }[] = [];
    const pusher = setInterval(() => {
      const { data, delivered } = cluster.sim.pushTrade(symbol);
      pushed.push({ seq: data.seq, at: Date.now(), delivered });
    }, 40);
    let after: Collector<Result> | undefined;
    try {
      await vi.waitFor(() => expect(before.items.length).toBeGreaterThan(5), { timeout: 5000 });
      const stopping = leaving.kill('SIGTERM');
      await vi.waitFor(() => expect(before.done).toBe(true)); // the client is told (1001)…
      await elapse(300, "a client's reconnect delay"); // …and is back on the other instance a moment later
      after = subscribe(staying, [symbol]);
      await stopping;
      const oldSession = cluster.sim.allSessions({ endpoint: 'quote' })[0]!.id;
      await vi.waitFor(
        () => {
          const fresh = cluster.sim.sessions({ endpoint: 'quote' }).find((s) => s.id !== oldSession);
          expect(fresh?.tradeList).toEqual([symbol]);
        },
        { timeout: 10_000 },
      );
      await elapse(500, 'trades keep coming on the new session');
    } finally {
      clearInterval(pusher);
    }
    const receivedSeqs = () =>
      new Set(
        [...before.items, ...(after?.items ?? [])]
          .map((r) => r.data?.quotes)
          .filter((q) => q?.event === 'TICK')
          .map((q) => q!.seq),
      );
    const newSession = cluster.sim.sessions({ endpoint: 'quote' })[0]!.id;
    const subscribedAt = cluster.sim.record.frames.find((f) => f.sessionId === newSession && f.cmd_id === Cmd.SubscribeTrade)!.at;
    // the last pushes may still be on their way through Redis when the pusher stops
    await vi.waitFor(() => {
      const received = receivedSeqs();
      expect(pushed.filter((p) => p.at > subscribedAt && p.delivered > 0 && !received.has(p.seq))).toEqual([]);
    });
    const received = receivedSeqs();
    // the outage as upstream saw it: from the last event delivered before to the first after
    const times = pushed.filter((p) => received.has(p.seq)).map((p) => p.at);
    const outage = Math.max(...times.slice(1).map((t, i) => t - times[i]!));
    console.log(`handover outage ${outage} ms (gap ${GAP_WITH_MARGIN_MS} ms with its margin, slot ${SLOT_MS} ms)`);
    expect(outage).toBeLessThanOrEqual(GAP_WITH_MARGIN_MS + 2 * SLOT_MS);
    expectOneSocketAtATime(cluster.sim, 'quote');
  }, 90_000);

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

    // the dead instance's room frees with its demand: the survivor may fill the cap again
    const deadId = cluster.instances[dead]!.instanceId!;
    await vi.waitFor(
      async () => {
        const members = await redis!.zrange(`${cluster.prefix}codes:quote`, 0, -1);
        expect(members.filter((m) => m.startsWith(`${deadId}\t`))).toEqual([]);
      },
      { timeout: 10_000, interval: 200 },
    );
    const refill = codes('C', cap - survivor.symbols.length);
    const subC = subscribe(cluster.instances[1 - dead]!, refill);
    await vi.waitFor(() => expect(ticking(subC, refill, 0)).toEqual(refill), { timeout: 15_000 });
    expect(errorsOf(subC)).toEqual([]);
  }, 90_000);

  it("three instances hammering cold snapshot queries stay within the plan's REST rate: no 429, no failed query", async () => {
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
    for (const answer of answers) expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    expect(answers.every((a) => (a.data?.quote as { price: string | null } | null)?.price)).toBe(true);

    const calls = sim.record.restCalls;
    expect(calls.length).toBeGreaterThanOrEqual(rounds * 2); // at least one call per method and round
    expect(calls.filter((c) => c.status === 429)).toEqual([]);
    // the plan's rate as upstream counts it: per path ≥ the gap apart, ≤ perMinute in any minute
    const byPath = new Map<string, number[]>();
    for (const call of calls) byPath.set(call.path, [...(byPath.get(call.path) ?? []), call.at]);
    const gaps = [...byPath.values()].flatMap((times) => times.slice(1).map((t, i) => t - times[i]!));
    console.log(`${calls.length} REST calls, closest same-path gap ${Math.min(...gaps)} ms`);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(plan.rest.perEndpointIntervalMs);
    for (const call of calls) expect(calls.filter((c) => c.at > call.at - 60_000 && c.at <= call.at).length).toBeLessThanOrEqual(plan.rest.perMinute);
  }, 90_000);
});
