/**
 * Soak (issue 7, proof 4): many subscribe/unsubscribe cycles over mixed transports — graphql-ws
 * (complete), graphql-ws (socket dropped without a word) and SSE (request aborted) — against the
 * simulator with live ticks. Afterwards: ref counts 0, upstream lists empty, heap growth small.
 *
 *   npm run soak                      # 50,000 cycles (SOAK_CYCLES, SOAK_CONCURRENCY to change)
 *
 * `runSoak` is also what the test suite runs with a small count (test/e2e/soak.test.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/server.js';
import { createSimulator } from '../src/simulator/server.js';
import { createRng } from '../src/simulator/random.js';
import { CATALOGUE } from '../src/feed/alltick/catalogue.js';
import { ENDPOINTS } from '../src/feed/alltick/symbols.js';

export interface SoakOptions {
  cycles: number;
  concurrency?: number;
  seed?: number;
  /** print progress and the figures */
  log?: (line: string) => void;
}

export interface SoakResult {
  cycles: { ws: number; wsDropped: number; sse: number; total: number };
  events: number;
  seconds: number;
  cyclesPerSecond: number;
  leasesAfter: number;
  refsAfter: number;
  upstreamListsAfter: Record<string, { trades: number; depth: number }>;
  heapBeforeMiB: number;
  heapAfterMiB: number;
  heapGrowthMiB: number;
}

const QUERY = 'subscription S($symbols: [String!]!, $depth: Int) { quotes(symbols: $symbols, depth: $depth) { symbol price seq bids { price } } }';

/** The process's gc(), exposed at run time (no --expose-gc needed). */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function heapMiB(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const concurrency = options.concurrency ?? 32;
  const rng = createRng(options.seed ?? 50_000);
  const gc = gcFunction();
  // a short record: the simulator shares this heap, and only the server's growth is of interest
  const sim = await createSimulator({ ticksPerSecond: 20, spacingMs: 25, tokenSpacingMs: 0, seed: 7, recordLimit: 1000 });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    ALLTICK_TOKEN: 'soak-token',
    ALLTICK_WS_URL: sim.wsUrl,
    ALLTICK_API_URL: sim.httpUrl,
    LINGER_MS: '200',
    LOG_LEVEL: 'silent',
    OPERATIONS_PER_SECOND: '0',
    MAX_CONNECTIONS_PER_ADDRESS: '0',
    MAX_SUBSCRIPTIONS_PER_CONNECTION: '0',
  });
  const server = await startServer({
    config,
    logger: createLogger('silent'),
    timings: { requestSpacingMs: 100, subscribeSpacingMs: 0, heartbeatIntervalMs: 2000, reconnectGapMs: 200, ackTimeoutMs: 5000 },
  });
  const url = `http://127.0.0.1:${server.port}/graphql`;
  const wsUrl = url.replace('http', 'ws');
  const pool = CATALOGUE.slice(0, 40).map((e) => e.code);
  const clients: Client[] = Array.from({ length: Math.min(8, concurrency) }, () =>
    createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, lazyCloseTimeout: 60_000 }),
  );
  const counts = { ws: 0, wsDropped: 0, sse: 0, total: 0 };
  let events = 0;

  const variables = () => ({
    symbols: [...new Set(Array.from({ length: 1 + rng.int(0, 2) }, () => pool[rng.int(0, pool.length - 1)] as string))],
    depth: rng.int(0, 3),
  });
  /** How long a cycle stays subscribed: until its first event, or at most this long. */
  const holdMs = () => rng.int(0, 30);

  const wsCycle = (client: Client) =>
    new Promise<void>((resolve, reject) => {
      // eslint-disable-next-line prefer-const -- finish() reads it and may run before it is set
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const unsubscribe = client.subscribe(
        { query: QUERY, variables: variables() },
        { next: () => (events++, finish()), error: (e) => reject(new Error(`ws error: ${JSON.stringify(e)}`)), complete: () => resolve() },
      );
      timer = setTimeout(finish, holdMs());
    });

  const wsDroppedCycle = async () => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((resolve) => socket.once('message', resolve));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY, variables: variables() } }));
    await new Promise((r) => setTimeout(r, holdMs()));
    socket.terminate();
  };

  const sseCycle = async () => {
    const controller = new AbortController();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: QUERY, variables: variables() }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const first = await Promise.race([
      reader.read().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), holdMs())),
    ]);
    if (first) events++;
    controller.abort();
    await reader.cancel().catch(() => {});
  };

  const runCycles = async (n: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        while (next < n) {
          next++;
          const roll = rng.next();
          if (roll < 0.65) {
            await wsCycle(clients[worker % clients.length] as Client);
            counts.ws++;
          } else if (roll < 0.7) {
            await wsDroppedCycle();
            counts.wsDropped++;
          } else {
            await sseCycle();
            counts.sse++;
          }
          counts.total++;
          if (counts.total % 5000 === 0)
            log(`  ${counts.total} cycles, heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MiB, leases ${server.feed.manager.leaseCount}`);
        }
      }),
    );
  };

  const settle = async () => {
    const deadline = Date.now() + 15_000;
    const empty = () =>
      server.feed.manager.leaseCount === 0 &&
      ENDPOINTS.every((e) => server.feed.manager.desired(e).trades.length === 0 && (sim.sessions({ endpoint: e })[0]?.tradeList.length ?? 0) === 0);
    while (!empty() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };

  try {
    const warmup = Math.min(2000, Math.ceil(options.cycles / 10));
    await runCycles(warmup);
    await settle();
    const atWarmup = { ...counts };
    const heapBefore = await heapMiB(gc);
    const started = Date.now();
    await runCycles(options.cycles);
    const seconds = (Date.now() - started) / 1000;
    await settle();
    const heapAfter = await heapMiB(gc);
    const upstreamListsAfter = Object.fromEntries(
      ENDPOINTS.map((e) => {
        const live = sim.sessions({ endpoint: e })[0];
        return [e, { trades: live?.tradeList.length ?? 0, depth: live?.depthList.length ?? 0 }];
      }),
    );
    return {
      cycles: {
        ws: counts.ws - atWarmup.ws,
        wsDropped: counts.wsDropped - atWarmup.wsDropped,
        sse: counts.sse - atWarmup.sse,
        total: counts.total - atWarmup.total,
      },
      events,
      seconds,
      cyclesPerSecond: Math.round((counts.total - atWarmup.total) / seconds),
      leasesAfter: server.feed.manager.leaseCount,
      refsAfter: server.feed.manager.totalRefs,
      upstreamListsAfter,
      heapBeforeMiB: Math.round(heapBefore * 10) / 10,
      heapAfterMiB: Math.round(heapAfter * 10) / 10,
      heapGrowthMiB: Math.round((heapAfter - heapBefore) * 10) / 10,
    };
  } finally {
    await Promise.all(clients.map(async (c) => c.dispose()));
    await server.stop();
    await sim.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cycles = Number(process.env.SOAK_CYCLES ?? 50_000);
  const concurrency = Number(process.env.SOAK_CONCURRENCY ?? 32);
  console.log(`soak: ${cycles} subscribe/unsubscribe cycles, ${concurrency} at a time (graphql-ws complete 65%, graphql-ws dropped 5%, SSE abort 30%)`);
  const result = await runSoak({ cycles, concurrency, log: (line) => console.log(line) });
  console.log(JSON.stringify(result, null, 2));
  const ok =
    result.leasesAfter === 0 &&
    result.refsAfter === 0 &&
    Object.values(result.upstreamListsAfter).every((l) => l.trades === 0 && l.depth === 0) &&
    result.heapGrowthMiB < 20;
  console.log(ok ? 'soak: OK' : 'soak: FAILED');
  process.exit(ok ? 0 : 1);
}
