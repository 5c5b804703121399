/**
 * `npm run bench`: the fan-out benchmark (issue 6). For each workload it runs three servers in
 * turn — a raw `ws` broadcast of one pre-serialized frame (the ceiling), a naive Yoga +
 * createPubSub server as the Yoga docs teach, and alltick-graphql — each in its own process,
 * against the built-in AllTick simulator driven from this process, with the clients in a third
 * process. Prints one table per workload and the ratios against the targets.
 *
 *   A  500 clients on one symbol, ticks as fast as the server delivers them → msgs/s
 *   B  1,000 clients each on 5 of 50 symbols, 400 ticks/s for 15 s → msgs/s, latency, loss, RSS
 *   C  10,000 idle subscribed connections → server RSS per connection; idle server RSS
 *
 * Server CPU is user + system time of the server process (all threads) from /proc, per million
 * delivered messages; ours is compared with the raw broadcast measured in the same run.
 *
 * BENCH_QUICK=1 shortens every phase (C with 2,000 connections); BENCH_ONLY=A,C and
 * BENCH_VARIANTS=ours,raw select parts (`floor` adds the write floor: raw's bytes framed once, one
 * socket write per message and nothing else). Every client numbers its one subscription "1", as
 * clients with counter ids do; BENCH_IDS=unique gives each client an id of its own.
 */
import { createSimulator, type Simulator } from '../src/simulator/server.js';
import { Child, compiled } from './child.js';
import {
  nowMicros,
  SYMBOL_A,
  SYMBOLS_50,
  VARIANT_LABEL,
  VARIANTS,
  type FromClients,
  type FromServer,
  type ToClients,
  type ToServer,
  type Variant,
} from './common.js';

const QUICK = process.env['BENCH_QUICK'] === '1';
const P = {
  aClients: 500,
  aWindow: 100, // ticks in flight: enough to keep the server saturated, far below any client budget
  aWarmMs: QUICK ? 1000 : 1500,
  aMeasureMs: QUICK ? 3000 : 6000,
  bClients: Number(process.env['BENCH_B_CLIENTS'] ?? 1000),
  bRate: 400,
  bMeasureMs: QUICK ? 5000 : 15_000,
  cConnections: QUICK ? 2000 : 10_000,
  idleMs: 15_000,
};
const ONLY = (process.env['BENCH_ONLY'] ?? 'A,B,C').split(',').map((s) => s.trim().toUpperCase());
const RUN_VARIANTS = (process.env['BENCH_VARIANTS'] ?? VARIANTS.join(',')).split(',').map((s) => s.trim()) as Variant[];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');
const MiB = 1024 * 1024;

type Server = Child<ToServer, FromServer>;

/** The server processes run compiled, as in production; BENCH_TSX=1 runs them under tsx instead. */
const serverEntry = process.env['BENCH_TSX'] === '1' ? Promise.resolve('./server-process.ts') : compiled('./server-process.ts');
type Clients = Child<ToClients, FromClients>;

interface Session {
  sim: Simulator;
  server: Server;
  clients: Clients;
  url: string;
}

/** A server process of `variant` on the simulator. */
async function startServerProcess(variant: Variant, sim: Simulator): Promise<Server> {
  return new Child(
    await serverEntry,
    [variant],
    {
      ...process.env,
      ALLTICK_TOKEN: 'bench',
      ALLTICK_WS_URL: sim.wsUrl,
      ALLTICK_API_URL: sim.httpUrl,
      ALLTICK_PLAN: 'basic',
      NODE_ENV: 'production',
    },
    process.env['BENCH_PROF']
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROF_DIR'] ?? '/tmp/bench-prof'}`, ...(process.env['BENCH_PROF_FLAGS']?.split(' ') ?? [])]
      : [],
  );
}

const newSimulator = () => createSimulator({ ticksPerSecond: 0, spacingMs: 20, tokenSpacingMs: 0, recordLimit: 1000 });

/** A fresh simulator, one server process and one client process; everything stopped afterwards. */
async function session<T>(variant: Variant, fn: (s: Session) => Promise<T>): Promise<T> {
  const sim = await newSimulator();
  const server = await startServerProcess(variant, sim);
  const clients: Clients = new Child('./client-process.ts');
  try {
    const { port } = await server.next('ready', 30_000);
    return await fn({ sim, server, clients, url: `ws://127.0.0.1:${port}/graphql` });
  } finally {
    await Promise.all([clients.stop({ type: 'exit' }), server.stop({ type: 'exit' })]);
    await sim.close();
  }
}

async function connect(s: Session, subscriptions: string[][], mode: 'count' | 'latency' | 'idle', concurrency = 100) {
  const reply = s.clients.next('connected', 180_000);
  s.clients.send({ type: 'connect', url: s.url, subscriptions, mode, concurrency });
  const connected = await reply;
  if (connected.failed > 0) throw new Error(`${connected.failed} client connections failed`);
  return connected;
}

/** Waits until the upstream carries every symbol. */
async function upstreamHolds(sim: Simulator, symbols: readonly string[]) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const held = new Set(sim.sessions().flatMap((session) => session.tradeList));
    if (symbols.every((s) => held.has(s))) return;
    if (Date.now() > deadline) throw new Error('the upstream never subscribed every symbol');
    await sleep(50);
  }
}

/**
 * Pushes one tick per symbol, then waits while clients keep getting it; pushes again only when
 * progress stops (a slow server is not flooded), until every client has received an event.
 */
async function prime(s: Session, symbols: readonly string[], push: (symbol: string) => void) {
  await upstreamHolds(s.sim, symbols);
  const deadline = Date.now() + 120_000;
  for (;;) {
    for (const symbol of symbols) push(symbol);
    let last = -1;
    for (;;) {
      await sleep(250);
      const { primed, of } = await s.clients.ask({ type: 'primed-count' });
      if (process.env['BENCH_DEBUG']) log(`primed ${primed} of ${of}`);
      if (primed === of) return;
      if (Date.now() > deadline) throw new Error(`only ${primed} of ${of} clients ever received an event`);
      if (primed === last) break; // stalled: subscriptions that were not ready yet need another tick
      last = primed;
    }
  }
}

const stats = (server: Server, gc = false, timeoutMs = 60_000) => server.ask({ type: 'stats', gc }, timeoutMs);

/** Slow-consumer drops so far: ours only (the others have no such policy). */
async function droppedSoFar(variant: Variant, server: Server): Promise<number> {
  if (variant !== 'ours' || !server.alive) return NaN;
  return (await stats(server, false, 10_000).catch(() => ({ droppedUpdates: NaN }))).droppedUpdates;
}

// ── workload A ────────────────────────────────────────────────────────────────────────────────
interface AResult {
  msgsPerSec: number;
  serverCpu: number;
  clientCpu: number;
  /** updates conflated away by the slow-consumer policy (ours only) */
  dropped: number;
}

async function workloadA(variant: Variant): Promise<AResult> {
  return session(variant, async (s) => {
    await connect(
      s,
      Array.from({ length: P.aClients }, () => [SYMBOL_A]),
      'count',
    );
    // tick numbers, all of one length (seq order is by length, then text), above the simulator's
    // REST snapshot seq (µs since the epoch, 16 digits) that a cold symbol's first event carries
    let seq = 2_000_000_000_000_000;
    const push = () => s.sim.pushTrade(SYMBOL_A, { seq: String(++seq), tick_time: String(Date.now()) });
    await prime(s, [SYMBOL_A], push);

    // closed loop: keep `aWindow` ticks beyond what the slowest client has received
    let acked = seq;
    let running = true;
    const fill = () => {
      while (running && seq - acked < P.aWindow) push();
    };
    let progressCount = 0;
    s.clients.on('progress', (m) => {
      progressCount++;
      acked = Math.max(acked, m.min);
      fill();
    });
    if (process.env['BENCH_DEBUG']) setInterval(() => log(`progress msgs ${progressCount}, sent ${seq}, acked ${acked}`), 500).unref();
    s.clients.send({ type: 'progress', on: true });
    fill();
    await sleep(P.aWarmMs);
    const d0 = await droppedSoFar(variant, s.server);
    const c0 = await s.clients.ask({ type: 'count' });
    const [server0, clients0, t0] = [s.server.cpuMs(), s.clients.cpuMs(), performance.now()];
    await sleep(P.aMeasureMs);
    const c1 = await s.clients.ask({ type: 'count' });
    const [server1, clients1, elapsed] = [s.server.cpuMs(), s.clients.cpuMs(), performance.now() - t0];
    running = false;
    s.clients.send({ type: 'progress', on: false });
    const d1 = await droppedSoFar(variant, s.server);
    return {
      msgsPerSec: ((c1.received - c0.received) / elapsed) * 1000,
      serverCpu: ((server1 - server0) / elapsed) * 100,
      clientCpu: ((clients1 - clients0) / elapsed) * 100,
      dropped: d1 - d0,
    };
  });
}

// ── workload B ────────────────────────────────────────────────────────────────────────────────
interface BResult {
  msgsPerSec: number;
  p50: number;
  p99: number;
  max: number;
  expected: number;
  received: number;
  lost: number;
  duplicates: number;
  rssPeak: number;
  serverCpu: number;
  clientCpu: number;
  /** the server process died during the run */
  crashed: string | null;
  /** updates conflated away by the slow-consumer policy (ours only) */
  dropped: number;
  /** server user and kernel CPU µs, and write system calls, per delivered message */
  perMessage: { userUs: number; sysUs: number; writes: number };
}

/** A seeded PRNG (mulberry32), so every variant gets the same client → symbols assignment. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function fiveOfFifty(clients: number): string[][] {
  const random = rng(20261126);
  return Array.from({ length: clients }, () => {
    const picked = new Set<string>();
    while (picked.size < 5) picked.add(SYMBOLS_50[Math.floor(random() * SYMBOLS_50.length)]!);
    return [...picked];
  });
}

async function workloadB(variant: Variant): Promise<BResult> {
  return session(variant, async (s) => {
    const subscriptions = fiveOfFifty(P.bClients);
    await connect(s, subscriptions, 'latency');
    const push = (symbol: string) => s.sim.pushTrade(symbol, { seq: String(nowMicros()), tick_time: String(Date.now()) });
    await prime(s, [...new Set(subscriptions.flat())], push);
    await sleep(500); // let the priming settle

    const fromMicros = nowMicros();
    s.clients.send({ type: 'mark', fromMicros });
    await sleep(50);
    const expectedPerSymbol: Record<string, number> = {};
    let sent = 0;
    let rssPeak = 0;
    const [server0, clients0, usage0] = [s.server.cpuMs(), s.clients.cpuMs(), s.server.usage()];
    const dropped0 = await droppedSoFar(variant, s.server);
    const started = performance.now();
    const pacer = setInterval(() => {
      const due = Math.min(Math.floor(((performance.now() - started) / 1000) * P.bRate), Math.round((P.bMeasureMs / 1000) * P.bRate));
      while (sent < due) {
        const symbol = SYMBOLS_50[sent % SYMBOLS_50.length]!;
        push(symbol);
        expectedPerSymbol[symbol] = (expectedPerSymbol[symbol] ?? 0) + 1;
        sent++;
      }
    }, 2);
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, s.server.rss() || 0)), 250);
    await sleep(P.bMeasureMs + 20);
    clearInterval(pacer);
    const elapsed = performance.now() - started;
    const [server1, clients1, usage1] = [s.server.cpuMs(), s.clients.cpuMs(), s.server.usage()];
    const toMicros = nowMicros();
    // in-flight events arrive: wait until nothing more comes (at most 5 s; a server that is far behind is not waited for)
    let last = -1;
    for (let waited = 0; waited < 5000; waited += 500) {
      await sleep(500);
      const { received } = await s.clients.ask({ type: 'count' });
      if (received === last) break;
      last = received;
    }
    clearInterval(sampler);
    const r = await s.clients.ask({ type: 'report', toMicros, expected: expectedPerSymbol });
    const dropped = (await droppedSoFar(variant, s.server)) - dropped0;
    const expected = subscriptions.reduce((sum, symbols) => sum + symbols.reduce((n, sym) => n + (expectedPerSymbol[sym] ?? 0), 0), 0);
    return {
      msgsPerSec: (r.received / elapsed) * 1000,
      p50: r.p50,
      p99: r.p99,
      max: r.max,
      expected,
      received: r.received,
      lost: r.lost,
      duplicates: r.duplicates,
      rssPeak,
      serverCpu: ((server1 - server0) / elapsed) * 100,
      clientCpu: ((clients1 - clients0) / elapsed) * 100,
      crashed: s.server.alive ? null : s.server.exitReason,
      dropped,
      perMessage: {
        userUs: ((usage1.userMs - usage0.userMs) * 1000) / r.received,
        sysUs: ((usage1.sysMs - usage0.sysMs) * 1000) / r.received,
        writes: (usage1.writes - usage0.writes) / r.received,
      },
    };
  });
}

// ── idle ──────────────────────────────────────────────────────────────────────────────────────
/**
 * RSS of a started server with no clients, settled: after P.idleMs of quiet, a full GC. At such a
 * low allocation rate V8 then gives back the young generation that start-up grew (as it does at
 * the next GC of any idle server); read right after start, RSS still holds it.
 */
async function idleRss(variant: Variant): Promise<number> {
  const sim = await newSimulator();
  const server = await startServerProcess(variant, sim);
  try {
    await server.next('ready', 30_000);
    await sleep(P.idleMs);
    return (await stats(server, true)).rss;
  } finally {
    await server.stop({ type: 'exit' });
    await sim.close();
  }
}

// ── workload C ────────────────────────────────────────────────────────────────────────────────
interface CResult {
  /** subscribed connections still open when memory was measured */
  connections: number;
  rssBefore: number;
  rssAfter: number;
  perConnection: number;
  heapPerConnection: number;
  connectMs: number;
}

async function workloadC(variant: Variant): Promise<CResult> {
  return session(variant, async (s) => {
    const before = await stats(s.server, true);
    // BENCH_HEAP=dir: heap snapshots of each server before and with its connections, to see what they hold
    if (process.env['BENCH_HEAP'])
      log(`C: ${variant} heap snapshot before ${(await s.server.ask({ type: 'heap-snapshot', dir: process.env['BENCH_HEAP'] }, 120_000)).file}`);
    const subscriptions = Array.from({ length: P.cConnections }, (_, i) => [SYMBOLS_50[i % SYMBOLS_50.length]!]);
    const connected = await connect(s, subscriptions, 'idle', 200);
    await prime(s, SYMBOLS_50, (symbol) => s.sim.pushTrade(symbol, { tick_time: String(Date.now()) }));
    const after = await stats(s.server, true);
    if (process.env['BENCH_HEAP'])
      log(`C: ${variant} heap snapshot with the connections ${(await s.server.ask({ type: 'heap-snapshot', dir: process.env['BENCH_HEAP'] }, 120_000)).file}`);
    // a few may have been closed by keep-alive on this busy machine: count what is open
    const { open } = await s.clients.ask({ type: 'count' });
    if (open < P.cConnections * 0.95) throw new Error(`only ${open} connections stayed open`);
    return {
      connections: open,
      rssBefore: before.rss,
      rssAfter: after.rss,
      perConnection: (after.rss - before.rss) / open,
      heapPerConnection: (after.heapUsed - before.heapUsed) / open,
      connectMs: connected.ms,
    };
  });
}

// ── report ───────────────────────────────────────────────────────────────────────────────────
function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

/** Server CPU-seconds per million delivered messages (= µs per message). */
const cpuPerMillion = (r: { serverCpu: number; msgsPerSec: number }) => (r.serverCpu * 1e4) / r.msgsPerSec;

/** Prints one target line; true when `value` is at most `limit`. */
function check(what: string, value: number, limit: number): boolean {
  const ok = Number.isFinite(value) && value <= limit;
  console.log(`${what}: ${fmt(value, 2)} (target ≤ ${limit}) ${verdict(ok)}`);
  return ok;
}

interface Failure {
  error: string;
}
const failed = <R extends object>(r: R | Failure | undefined): r is Failure => r !== undefined && 'error' in r;
const succeeded = <R extends object>(r: R | Failure | undefined): R | undefined => (r === undefined || failed(r) ? undefined : r);

/** Runs one workload against every selected server; a server that fails is reported, not fatal. */
async function each<R extends object>(workload: string, run: (v: Variant) => Promise<R>): Promise<Map<Variant, R | Failure>> {
  const results = new Map<Variant, R | Failure>();
  for (const v of RUN_VARIANTS) {
    log(`${workload}: ${v}…`);
    try {
      results.set(v, await run(v));
    } catch (error) {
      log(`${workload}: ${v} failed: ${String(error)}`);
      results.set(v, { error: String(error instanceof Error ? error.message : error).slice(0, 80) });
    }
  }
  return results;
}

function rows<R extends object>(results: Map<Variant, R | Failure>, columns: number, cells: (r: R, v: Variant) => string[]): string[][] {
  return [...results].map(([v, r]) =>
    failed(r) ? [VARIANT_LABEL[v], `failed: ${r.error}`, ...Array<string>(columns - 2).fill('–')] : [VARIANT_LABEL[v], ...cells(r, v)],
  );
}

async function main() {
  const watchdog = setTimeout(() => {
    log('bench: over its time budget, giving up');
    process.exit(2);
  }, 12 * 60_000);
  watchdog.unref();
  const started = Date.now();
  const print = (text = '') => console.log(text);
  const os = await import('node:os');
  print(
    `# fan-out benchmark${QUICK ? ' (BENCH_QUICK)' : ''} — ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  let failedTargets = false;
  // idle servers barely use the CPU: all of them settle at once, before any load
  const idle = new Map<Variant, { rss: number } | Failure>();
  if (ONLY.includes('C')) {
    log('idle: every server, settling…');
    await Promise.all(
      RUN_VARIANTS.map((v) =>
        idleRss(v).then(
          (rss) => idle.set(v, { rss }),
          (error: unknown) => idle.set(v, { error: String(error) }),
        ),
      ),
    );
  }

  if (ONLY.includes('A')) {
    const results = await each('A', workloadA);
    print(`\n## A: ${P.aClients} clients on ${SYMBOL_A}, maximum rate (${P.aMeasureMs / 1000} s measured)\n`);
    print(
      table(
        ['server', 'msgs/s delivered', 'server CPU %', 'server CPU s per M msgs', 'client CPU %', 'conflated away'],
        rows(results, 6, (r, v) => [fmt(r.msgsPerSec), fmt(r.serverCpu), fmt(cpuPerMillion(r), 1), fmt(r.clientCpu), v === 'ours' ? fmt(r.dropped) : '–']),
      ),
    );
    const [ours, raw, naive] = [succeeded(results.get('ours')), succeeded(results.get('raw')), succeeded(results.get('naive'))];
    if (ours && raw) {
      const ratio = ours.msgsPerSec / raw.msgsPerSec;
      failedTargets ||= ratio < 0.7;
      print(`\nours / raw   = ${fmt(ratio, 2)}×  (target ≥ 0.7×) ${verdict(ratio >= 0.7)}`);
    }
    if (ours && naive) {
      const ratio = ours.msgsPerSec / naive.msgsPerSec;
      failedTargets ||= ratio < 4;
      print(`ours / naive = ${fmt(ratio, 2)}×  (target ≥ 4×) ${verdict(ratio >= 4)}`);
    }
    if (ours && raw) if (!check('server CPU per message, ours / raw', cpuPerMillion(ours) / cpuPerMillion(raw), 1.0)) failedTargets = true;
  }

  if (ONLY.includes('B')) {
    const results = await each('B', workloadB);
    print(`\n## B: ${fmt(P.bClients)} clients × 5 of 50 symbols, ${P.bRate} ticks/s for ${P.bMeasureMs / 1000} s\n`);
    print(
      table(
        [
          'server',
          'msgs/s',
          'p50 ms',
          'p99 ms',
          'max ms',
          'expected',
          'undelivered',
          'repeats',
          'conflated away',
          'server RSS MiB',
          'server CPU %',
          'server CPU s per M msgs',
          'client CPU %',
        ],
        rows(results, 13, (r, v) => [
          fmt(r.msgsPerSec),
          fmt(r.p50, 2),
          fmt(r.p99, 2),
          fmt(r.max, 1),
          fmt(r.expected),
          fmt(r.lost) + (r.crashed ? ` (server ${r.crashed})` : ''),
          fmt(r.duplicates),
          v === 'ours' ? fmt(r.dropped) : '–',
          fmt(r.rssPeak / MiB, 1),
          fmt(r.serverCpu),
          fmt(cpuPerMillion(r), 1),
          fmt(r.clientCpu),
        ]),
      ),
    );
    print('\nWhere the server CPU goes (per delivered message): user (JavaScript, GC) and system (kernel: the socket writes), and write system calls\n');
    print(
      table(
        ['server', 'user µs', 'system µs', 'write calls'],
        rows(results, 4, (r) => [fmt(r.perMessage.userUs, 2), fmt(r.perMessage.sysUs, 2), fmt(r.perMessage.writes, 3)]),
      ),
    );
    const [ours, raw, floor] = [results.get('ours'), succeeded(results.get('raw')), succeeded(results.get('floor'))];
    // what no server can go below here with one write per message: the bar against the raw broadcast's
    if (floor && raw) print(`\nwrite floor / raw broadcast, server CPU per message: ${fmt(cpuPerMillion(floor) / cpuPerMillion(raw), 2)}`);
    if (failed(ours)) {
      print(`\nours: failed ${verdict(false)}`);
      failedTargets = true;
    } else if (ours) {
      const ok = ours.lost === 0 && ours.duplicates === 0 && !ours.crashed;
      failedTargets ||= !ok;
      print(`\nours: undelivered ${fmt(ours.lost)}, repeats ${fmt(ours.duplicates)} (target 0) ${verdict(ok)}`);
      if (raw) {
        if (!check('server CPU per message, ours / raw', cpuPerMillion(ours) / cpuPerMillion(raw), 0.8)) failedTargets = true;
        if (!check('p50 latency, ours / raw', ours.p50 / raw.p50, 2)) failedTargets = true;
        if (!check('server RSS, ours / raw', ours.rssPeak / raw.rssPeak, 1.5)) failedTargets = true;
      }
      print(
        `(p99: ours ${fmt(ours.p99, 2)} ms${raw ? `, raw ${fmt(raw.p99, 2)} ms` : ''}; undelivered: events not received 5 s after the last push — lost, or still queued behind a server that fell behind)`,
      );
    }
  }

  if (ONLY.includes('C')) {
    const results = await each('C', workloadC);
    print(`\n## C: ${fmt(P.cConnections)} idle subscribed connections; the server idle, without clients\n`);
    print(
      table(
        ['server', 'open', 'RSS before MiB', 'RSS after MiB', 'RSS per connection KiB', 'heap per connection KiB', 'connect s', 'idle RSS MiB (settled)'],
        rows(results, 8, (r, v) => [
          fmt(r.connections),
          fmt(r.rssBefore / MiB, 1),
          fmt(r.rssAfter / MiB, 1),
          fmt(r.perConnection / 1024, 1),
          fmt(r.heapPerConnection / 1024, 1),
          fmt(r.connectMs / 1000, 1),
          fmt((succeeded(idle.get(v))?.rss ?? NaN) / MiB, 1),
        ]),
      ),
    );
    const ours = results.get('ours');
    if (failed(ours)) {
      print(`\nours: failed ${verdict(false)}`);
      failedTargets = true;
    } else if (ours) {
      print('');
      if (!check('RSS per idle subscribed connection, KiB', ours.perConnection / 1024, 16)) failedTargets = true;
    }
    const oursIdle = succeeded(idle.get('ours'));
    if (oursIdle && !check('idle server RSS, MiB', oursIdle.rss / MiB, 100)) failedTargets = true;
  }

  print(
    `\n(total ${fmt((Date.now() - started) / 1000)} s, load average now ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  );
  process.exitCode = failedTargets ? 1 : 0;
}

await main();
