/**
 * `npm run bench:redis`: delivered msgs/s with 1 instance (no Redis) against 2 instances sharing
 * one Redis, same simulator load, same number of graphql-ws clients (split evenly over the
 * instances), printed side by side. Servers run as processes; the simulator and the clients run
 * here. Bounded: BENCH_SECONDS of measurement per variant (default 10) after a 3 s warm-up.
 *
 *   BENCH_CLIENTS (40)  BENCH_SYMBOLS (10)  BENCH_TICKS (100 per symbol per second)  REDIS_URL
 *
 * On a 2-core machine the two instances, Redis, the simulator and the clients share two cores, so
 * the figure shows the cost of going through Redis more than the gain of a second machine.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { CATALOGUE } from '../src/feed/alltick/catalogue.js';
import { createSimulator, type Simulator } from '../src/simulator/server.js';
import { killAll, spawnInstance, type InstanceProcess } from '../test/support/instance-process.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 40);
const SYMBOLS = Number(process.env.BENCH_SYMBOLS ?? 10);
const TICKS = Number(process.env.BENCH_TICKS ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_MS = 3000;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const FAST = { requestSpacingMs: 100, subscribeSpacingMs: 0, heartbeatIntervalMs: 2000, reconnectGapMs: 200, ackTimeoutMs: 5000 };

const symbols = CATALOGUE.filter((e) => e.market === 'CRYPTO' || e.market === 'FOREX')
  .slice(0, SYMBOLS)
  .map((e) => e.code);
const SUBSCRIPTION = `subscription($symbols: [String!]!) { quotes(symbols: $symbols, depth: 0) { symbol price volume time seq } }`;

interface Counter {
  count: number;
  close(): void;
}

/** A bare graphql-transport-ws client that only counts `next` messages (no parsing: the client must not be the bottleneck). */
function countingClient(wsUrl: string): Promise<Counter> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false });
    const counter: Counter = { count: 0, close: () => ws.terminate() };
    ws.on('error', reject);
    ws.on('close', (code) => reject(new Error(`client closed before subscribing (${code})`)));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('{"id":"1","type":"next"')) counter.count++;
      else if (text.includes('"connection_ack"')) {
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { symbols } } }));
        resolve(counter);
      }
    });
  });
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Result {
  variant: string;
  instances: number;
  clients: number;
  msgsPerSecond: number;
  perInstance: number[];
  /** what one lightly loaded probe client receives: the event rate that gets through */
  eventsPerClient: number;
}

async function runVariant(sim: Simulator, variant: string, count: number, redisPrefix: string | null): Promise<Result> {
  const env: Record<string, string> = {
    ALLTICK_TOKEN: 'bench-token',
    ALLTICK_WS_URL: sim.wsUrl,
    ALLTICK_API_URL: sim.httpUrl,
    ALLTICK_TIMINGS: JSON.stringify(FAST),
    LINGER_MS: '0',
    // every bench client comes from 127.0.0.1: no per-address limits
    MAX_CONNECTIONS_PER_ADDRESS: '0',
    OPERATIONS_PER_SECOND: '0',
    ...(redisPrefix && { REDIS_URL, REDIS_PREFIX: redisPrefix }),
  };
  const instances: InstanceProcess[] = await Promise.all(Array.from({ length: count }, () => spawnInstance(env, 60_000)));
  try {
    await waitFor('readiness', async () => (await Promise.all(instances.map((i) => fetch(`${i.base}/ready`)))).every((r) => r.status === 200));
    const counters = await Promise.all(Array.from({ length: CLIENTS }, (_, k) => countingClient(instances[k % count]!.wsUrl)));
    await waitFor('the upstream list', () => sim.sessions({ endpoint: 'quote' }).some((s) => s.tradeList.length === symbols.length));
    // one more client, not counted in the total, measures the event rate that gets through
    const probe = await countingClient(instances[0]!.wsUrl);
    await new Promise((r) => setTimeout(r, WARMUP_MS));

    const start = counters.map((c) => c.count);
    const probeStart = probe.count;
    const startedAt = Date.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const elapsed = (Date.now() - startedAt) / 1000;
    const delivered = counters.map((c, k) => c.count - start[k]!);
    const perInstance = instances.map((_, i) => delivered.filter((_, k) => k % count === i).reduce((a, b) => a + b, 0) / elapsed);
    for (const c of [...counters, probe]) c.close();
    return {
      variant,
      instances: count,
      clients: CLIENTS,
      msgsPerSecond: delivered.reduce((a, b) => a + b, 0) / elapsed,
      perInstance,
      eventsPerClient: (probe.count - probeStart) / elapsed,
    };
  } finally {
    await Promise.all(instances.map((i) => i.kill('SIGTERM', 5000)));
  }
}

async function cleanRedis(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

// bounded whatever happens: a stuck run kills its servers and fails
const deadline = setTimeout(
  () => {
    console.error('bench:redis timed out');
    void killAll().then(() => process.exit(1));
  },
  60_000 + 2 * (SECONDS * 1000 + WARMUP_MS + 60_000),
);

const sim = await createSimulator({ ticksPerSecond: TICKS, spacingMs: 20, tokenSpacingMs: 0, maxConnections: 4 });
const prefix = `bench-${randomBytes(4).toString('hex')}:`;
const results: Result[] = [];
try {
  console.log(`${CLIENTS} clients × ${symbols.length} symbols, ~${TICKS} ticks/s per symbol, ${SECONDS} s per variant`);
  console.log(`${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)} before the run\n`);
  results.push(await runVariant(sim, '1 instance', 1, null));
  await new Promise((r) => setTimeout(r, 500));
  results.push(await runVariant(sim, '2 instances + Redis', 2, prefix));
} catch (error) {
  console.error('bench:redis failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await killAll();
  await sim.close();
  await cleanRedis(prefix).catch(() => undefined);
  clearTimeout(deadline);
}

const rows = [
  ['variant', 'instances', 'clients', 'events/s per client', 'delivered msgs/s', 'per instance'],
  ...results.map((r) => [
    r.variant,
    String(r.instances),
    String(r.clients),
    r.eventsPerClient.toFixed(0),
    r.msgsPerSecond.toFixed(0),
    r.perInstance.map((n) => n.toFixed(0)).join(' + '),
  ]),
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
const [one, two] = results;
if (one && two) console.log(`\n2 instances + Redis deliver ${(two.msgsPerSecond / one.msgsPerSecond).toFixed(2)}× what 1 instance delivers`);
