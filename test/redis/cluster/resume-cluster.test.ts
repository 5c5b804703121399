/**
 * Resume across instances (SPEC §4, §6; issues 14 and 15): two server processes share one Redis
 * and one simulator. A `trades` client cut off for 5 s at ~500 trades/s resumes with `after` on
 * the same and on the other instance and has every trade exactly once, in order; a cursor older
 * than the shared history gets the gap marker; a `quotes` resume on the other instance gets one
 * SNAPSHOT per changed symbol; `recentTrades` and `candles` answer the same on every instance.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { createSimulator, type Simulator } from '../../../src/simulator/server.js';
import { collect, dispose, FAST } from '../../support/helpers.js';
import { killAll, spawnInstance, type InstanceProcess } from '../../support/instance-process.js';
import { cutAndResume, subscribeTrades, tradesOf, type TradeEvent } from '../../support/resume-fixture.js';
import { elapse, quietFor } from '../../support/time.js';
import { deleteKeysWithPrefix } from '../../support/redis-keys.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `test-${randomBytes(4).toString('hex')}:`;
/** three symbols at ~170 trades/s each: ~500 trades/s in one subscription */
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'EURUSD'];

let sim: Simulator;
let redis: Redis;
let a: InstanceProcess;
let b: InstanceProcess;
let env: Record<string, string>;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function query(instance: InstanceProcess, q: string) {
  const res = await fetch(instance.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) });
  return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  sim = await createSimulator({ ticksPerSecond: 170, spacingMs: 20, tokenSpacingMs: 0 });
  env = {
    ALLTICK_TOKEN: 'test-token',
    ALLTICK_WS_URL: sim.wsUrl,
    ALLTICK_API_URL: sim.httpUrl,
    ALLTICK_TIMINGS: JSON.stringify({ ...FAST, requestSpacingMs: 100, ackTimeoutMs: 10_000 }),
    REDIS_URL,
    REDIS_PREFIX: PREFIX,
    LINGER_MS: '300',
    TRADE_HISTORY_SIZE: '5000',
    OPERATIONS_PER_SECOND: '0',
    MAX_CONNECTIONS_PER_ADDRESS: '0',
  };
  [a, b] = await Promise.all([spawnInstance(env), spawnInstance(env)]);
  await vi.waitFor(
    async () => {
      for (const i of [a, b]) expect((await fetch(`${i.base}/ready`)).status).toBe(200);
    },
    { timeout: 15_000, interval: 200 },
  );
}, 60_000);

afterAll(async () => {
  await dispose();
  await killAll();
  await sim?.close();
  if (redis) {
    await deleteKeysWithPrefix(redis, PREFIX);
    redis.disconnect();
  }
}, 30_000);

describe('two instances, one shared trade history', () => {
  it('a trades client cut off for 5 s resumes on the same instance with every trade exactly once, in order', async () => {
    const { missed, resumed } = await cutAndResume({ cutUrl: a.wsUrl, resumeUrl: a.wsUrl, referenceUrl: b.wsUrl, symbols: SYMBOLS, outageMs: 5000 });
    expect(missed).toBeGreaterThan(1500);
    expect(resumed).toBeGreaterThanOrEqual(missed);
  }, 90_000);

  it('… and on the other instance', async () => {
    const { missed, resumed } = await cutAndResume({ cutUrl: a.wsUrl, resumeUrl: b.wsUrl, referenceUrl: a.wsUrl, symbols: SYMBOLS, outageMs: 5000 });
    expect(missed).toBeGreaterThan(1500);
    expect(resumed).toBeGreaterThanOrEqual(missed);
  }, 90_000);

  it('a cursor older than the shared history gets the gap marker, on either instance', async () => {
    const first = subscribeTrades(a.wsUrl, ['ETHUSDT']);
    await vi.waitFor(() => expect(first.items.length).toBeGreaterThan(30), { timeout: 10_000 });
    const old = tradesOf(first)[0]!;
    // the history moves past it (as a full history does): only the newest 10 are kept
    await redis.xtrim(`${PREFIX}trades:ETHUSDT`, 'MAXLEN', 10);
    const resumed = subscribeTrades(b.wsUrl, ['ETHUSDT'], [old.cursor]);
    await vi.waitFor(() => expect(resumed.items.length).toBeGreaterThan(3), { timeout: 10_000 });
    const got = tradesOf(resumed);
    expect(got[0]!.gap).toBe(true);
    expect(got.slice(1).some((t) => t.gap)).toBe(false);
    await first.stop();
    await resumed.stop();
  }, 30_000);

  it('recentTrades and candles answer the same on every instance', async () => {
    const sub = subscribeTrades(a.wsUrl, ['BTCUSDT']); // only instance a follows BTCUSDT
    await vi.waitFor(() => expect(sub.items.length).toBeGreaterThan(250), { timeout: 15_000 });
    sim.pause();
    try {
      const ask =
        '{ recentTrades(symbol: "BTCUSDT", limit: 200) { seq cursor price time } candles(symbol: "BTCUSDT", interval: MINUTE_1, limit: 3) { time open high low close volume } }';
      type Bar = { time: string; close: string; volume: string };
      type Tick = { seq: string; price: string; time: string };
      await vi.waitFor(
        async () => {
          const [fromA, fromB] = await Promise.all([query(a, ask), query(b, ask)]);
          expect(fromA.errors).toBeUndefined();
          const trades = fromA.data?.recentTrades as Tick[];
          expect(trades.length).toBe(200);
          expect(fromB.data?.recentTrades).toEqual(trades);
          // the newest trade a client got is the newest in the history
          const last = trades.at(-1)!;
          expect(last.seq).toBe(tradesOf(sub).at(-1)?.seq);
          // Bars up to the one holding the last trade are built from the shared history and
          // AllTick's finished K-lines: equal everywhere. If that bar is still forming it ends at
          // the last trade (its volume is AllTick's K-line, fetched by each instance at its own
          // moment). A bar after it (the minute turned while paused) has no trade of ours: it is
          // AllTick's own forming K-line, read by each instance at its own moment, so not compared.
          const lastBar = new Date(Math.floor(Date.parse(last.time) / 60_000) * 60_000).toISOString();
          const [barsA, barsB] = [fromA, fromB].map((r) => (r.data?.candles as Bar[]).filter((bar) => bar.time <= lastBar));
          expect(barsA!.at(-1)?.time).toBe(lastBar);
          const stillForming = (fromA.data?.candles as Bar[]).at(-1)?.time === lastBar && (fromB.data?.candles as Bar[]).at(-1)?.time === lastBar;
          if (stillForming) {
            expect(barsB!.slice(0, -1)).toEqual(barsA!.slice(0, -1));
            expect(barsA!.at(-1)?.close).toBe(last.price);
            expect(barsB!.at(-1)?.close).toBe(last.price);
          } else {
            expect(barsB).toEqual(barsA);
          }
        },
        { timeout: 10_000 },
      );
    } finally {
      sim.resume();
      await sub.stop();
    }
  }, 30_000);

  it('a quotes resume on the other instance gets one SNAPSHOT per changed symbol only', async () => {
    sim.pause();
    try {
      // depth 0: the state is the last trade, the same on every instance once it ticked (books read
      // from REST by each instance for its first SNAPSHOT would differ until the next book)
      const QUOTES = 'subscription($s: [String!]!, $after: [String!]) { quotes(symbols: $s, depth: 0, after: $after) { symbol seq event cursor } }';
      type Q = { data?: { quotes: { symbol: string; seq: string; event: string; cursor: string } } };
      const clientA = createClient({ url: a.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      const clientB = createClient({ url: b.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      const symbols = ['AAPL.US', 'MSFT.US'];
      const first = collect<Q>(clientA.iterate({ query: QUOTES, variables: { s: symbols } }) as AsyncIterableIterator<Q>);
      // another client on b, as behind a load balancer: b follows the symbols too
      const onB = collect<Q>(clientB.iterate({ query: QUOTES, variables: { s: symbols } }) as AsyncIterableIterator<Q>);
      await vi.waitFor(() => expect(sim.sessions({ endpoint: 'stock' }).flatMap((s) => s.tradeList)).toEqual(expect.arrayContaining(symbols)), {
        timeout: 10_000,
      });
      const pushed = symbols.map((s) => sim.pushTrade(s).data.seq);
      const lastOf = (c: typeof first, symbol: string) =>
        c.items
          .map((i) => i.data!.quotes)
          .filter((q) => q.symbol === symbol)
          .at(-1);
      await vi.waitFor(
        () => {
          for (const c of [first, onB]) symbols.forEach((s, i) => expect(lastOf(c, s)?.seq).toBe(pushed[i]));
        },
        { timeout: 5000 },
      );
      // the client kept the cursors of what it saw before MSFT.US changed
      const cursors = new Map(symbols.map((s) => [s, lastOf(first, s)!.cursor]));
      const changed = sim.pushTrade('MSFT.US').data.seq;
      await vi.waitFor(() => expect(lastOf(first, 'MSFT.US')?.seq).toBe(changed), { timeout: 5000 });
      const resumed = collect<Q>(clientB.iterate({ query: QUOTES, variables: { s: symbols, after: [...cursors.values()] } }) as AsyncIterableIterator<Q>);
      await vi.waitFor(() => expect(resumed.items.length).toBe(1), { timeout: 5000 });
      await quietFor(300, 'nothing else comes for AAPL.US');
      expect(resumed.items.map((i) => [i.data!.quotes.symbol, i.data!.quotes.event, i.data!.quotes.seq])).toEqual([['MSFT.US', 'SNAPSHOT', changed]]);
      await first.stop();
      await onB.stop();
      await resumed.stop();
      await clientA.dispose();
      await clientB.dispose();
    } finally {
      sim.resume();
    }
  }, 30_000);

  it("the README's Node client resumes across a restart of its instance (a rolling restart) without losing a trade", async () => {
    const port = await freePort();
    let c = await spawnInstance({ ...env, PORT: String(port) });
    const reference = subscribeTrades(b.wsUrl, ['BTCUSDT']);
    // the README's recipe ("Resuming after a reconnect"), with a short retry wait for the test
    const client = createClient({
      url: c.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: Infinity,
      shouldRetry: () => true,
      retryWait: () => elapse(200, "the client's reconnect delay"),
    });
    const variables = { symbols: ['BTCUSDT'], after: [] as string[] };
    const cursors = new Map<string, string>();
    const got: TradeEvent[] = [];
    const query = `subscription($symbols: [String!]!, $after: [String!]) { trades(symbols: $symbols, after: $after) { symbol seq cursor gap } }`;
    void (async () => {
      for await (const { data } of client.iterate({ query, variables }) as AsyncIterableIterator<{ data: { trades: TradeEvent } }>) {
        cursors.set(data.trades.symbol, data.trades.cursor);
        variables.after = [...cursors.values()];
        got.push(data.trades);
      }
    })();
    try {
      await vi.waitFor(() => expect(got.length).toBeGreaterThan(50), { timeout: 10_000 });
      await c.kill('SIGTERM');
      const atRestart = got.length;
      c = await spawnInstance({ ...env, PORT: String(port) });
      await vi.waitFor(() => expect(got.length).toBeGreaterThan(atRestart + 200), { timeout: 20_000 });
      const seqs = got.map((t) => t.seq);
      // the reference listens on the other instance: under load its copy of the newest trades may still be on the way
      await vi.waitFor(() => expect(tradesOf(reference).map((t) => t.seq)).toContain(seqs.at(-1)), { timeout: 5000 });
      const ref = tradesOf(reference).map((t) => t.seq);
      const start = ref.indexOf(seqs[0]!);
      expect(start).toBeGreaterThanOrEqual(0);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs).toEqual(ref.slice(start, start + seqs.length)); // every trade once, in order, across the restart
      expect(got.some((t) => t.gap)).toBe(false);
    } finally {
      await client.dispose();
      await reference.stop();
      await c.kill('SIGTERM');
    }
  }, 60_000);
});
