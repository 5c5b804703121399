/**
 * `npx tsx bench/fanout-micro.ts`: the JavaScript cost of the fan-out path alone, steadier than the
 * bench's CPU seconds on a shared machine. One process: the built-in simulator, the server and
 * workload B's clients (1,000 × 5 of 50 symbols); once every client has its first event, upstream
 * trades are fed straight into the feed (`feed.ingest`) in a timed loop. MICRO_WRITES=0 replaces
 * the socket writes by a counter (the path up to the write); otherwise the frames are written
 * (system calls included, the clients read them between rounds).
 */
import WebSocket from 'ws';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/server.js';
import { createSimulator } from '../src/simulator/server.js';
import { Outbox } from '../src/http/fanout/outbox.js';
import type { MarketEvent } from '../src/feed/alltick/protocol.js';
import { BENCH_QUERY, SYMBOLS_50 } from './common.js';

const CLIENTS = Number(process.env['MICRO_CLIENTS'] ?? 1000);
const ROUNDS = Number(process.env['MICRO_ROUNDS'] ?? 40);
const WRITES = process.env['MICRO_WRITES'] !== '0';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const sim = await createSimulator({ ticksPerSecond: 0, spacingMs: 20, tokenSpacingMs: 0, recordLimit: 1000 });
const config = loadConfig({
  ...process.env,
  ALLTICK_TOKEN: 'bench',
  ALLTICK_WS_URL: sim.wsUrl,
  ALLTICK_API_URL: sim.httpUrl,
  ALLTICK_PLAN: 'basic',
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  MAX_CONNECTIONS_PER_ADDRESS: '0',
  OPERATIONS_PER_SECOND: '0',
});
const timings = { requestSpacingMs: 50, subscribeSpacingMs: 0, heartbeatIntervalMs: 5000, reconnectGapMs: 200, ackTimeoutMs: 5000 };
const server = await startServer({ config, logger: createLogger('silent'), timings });

let seed = 20261126;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
let received = 0;
const primed = new Set<number>();
const sockets: WebSocket[] = [];
await Promise.all(
  Array.from({ length: CLIENTS }, (_, i) => {
    const picked = new Set<string>();
    while (picked.size < 5) picked.add(SYMBOLS_50[Math.floor(random() * SYMBOLS_50.length)]!);
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/graphql`, 'graphql-transport-ws', { perMessageDeflate: false });
      sockets.push(ws);
      ws.on('open', () => ws.send('{"type":"connection_init"}'));
      ws.on('error', reject);
      ws.on('message', (data: Buffer) => {
        if (data.includes('connection_ack')) {
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: BENCH_QUERY, variables: { symbols: [...picked] } } }));
          resolve();
        } else if (data.includes('"next"')) {
          received++;
          primed.add(i);
        }
      });
    });
  }),
);
// every client's first event, and every symbol's latest trade as the template of the timed ones
const template = new Map<string, MarketEvent>();
const ingest = server.feed.ingest.bind(server.feed);
server.feed.ingest = (event) => {
  if (event.kind === 'trade') template.set(event.symbol, event);
  ingest(event);
};
for (let tries = 0; primed.size < CLIENTS || template.size < SYMBOLS_50.length; tries++) {
  if (tries > 400) throw new Error(`only ${primed.size} clients primed`);
  if (tries % 20 === 0) for (const symbol of SYMBOLS_50) if (!template.has(symbol)) sim.pushTrade(symbol, { tick_time: String(Date.now()) });
  await sleep(50);
}

let frames = 0;
if (!WRITES)
  Outbox.prototype.sendNext = function () {
    frames++;
    return true;
  };

let seq = 3_000_000_000_000_000;
let delivered = 0;
let elapsed = 0;
for (let round = 0; round < ROUNDS; round++) {
  const before = received + frames;
  const t0 = performance.now();
  for (const symbol of SYMBOLS_50) {
    const t = template.get(symbol)!;
    ingest({ ...t, seq: String(++seq), time: Date.now() });
  }
  await new Promise((resolve) => process.nextTick(resolve)); // the turn's corked writes
  if (round >= 5) elapsed += performance.now() - t0; // the first rounds warm up
  await sleep(WRITES ? 40 : 1); // the clients read
  if (round >= 5) delivered += WRITES ? 0 : frames + received - before;
}
if (WRITES) {
  await sleep(200);
  delivered = Math.round(((received - CLIENTS) * (ROUNDS - 5)) / ROUNDS); // approximately: the counted rounds' share
}
console.log(
  `${WRITES ? 'with writes' : 'no writes'}: ${delivered} deliveries, ${((elapsed * 1000) / delivered).toFixed(3)} µs each (wall time of the synchronous fan-out)`,
);
for (const ws of sockets) ws.terminate();
await server.stop();
await sim.close();
process.exit(0);
