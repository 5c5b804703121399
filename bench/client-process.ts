/**
 * The bench clients, in a process of their own: bare graphql-transport-ws connections (ws, no
 * compression), each with one subscription. They count what arrives, measure latency from the
 * push time carried in `seq`, and report to the harness over IPC.
 */
import WebSocket from 'ws';
import { BENCH_QUERY, nowMicros, type ClientMode, type FromClients, type ToClients } from './common.js';

interface Conn {
  ws: WebSocket;
  symbols: string[];
  received: number;
  /** highest seq seen (workload A: tick number) */
  latest: number;
  /** per symbol: events in the measured window, and the last seq (to spot repeats) */
  window: Map<string, { count: number; last: number }>;
}

/** Each connection has one subscription: "1", as clients that count their operations name it, or an id of its own. */
const UNIQUE_IDS = process.env['BENCH_IDS'] === 'unique';

const send = (message: FromClients) => {
  if (process.connected) process.send?.(message);
};
const conns: Conn[] = [];
let mode: ClientMode = 'idle';
let fromMicros = Infinity;
let toMicros = Infinity;
let latencies = new Float64Array(1 << 20);
let samples = 0;
let duplicates = 0;
let closed = 0;
let total = 0;

const SEQ = Buffer.from('"seq":"');
const SYMBOL = Buffer.from('"symbol":"');

/** The digits after `"seq":"`, read from the bytes without decoding the frame. */
function seqOf(data: Buffer): number {
  let i = data.indexOf(SEQ);
  if (i < 0) return -1;
  let n = 0;
  for (i += SEQ.length; i < data.length; i++) {
    const c = data[i]!;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** The text of `"symbol":"…"` (symbols hold no escapes). */
function symbolOf(data: Buffer): string {
  const start = data.indexOf(SYMBOL) + SYMBOL.length;
  return data.toString('latin1', start, data.indexOf(0x22, start));
}

function onNext(conn: Conn, data: Buffer): void {
  conn.received++;
  total++;
  if (mode === 'count') {
    const seq = seqOf(data);
    if (seq > conn.latest) conn.latest = seq;
  } else if (mode === 'latency') {
    const now = nowMicros();
    // read by scanning, not JSON.parse: the clients must not be the bottleneck on this small machine
    const seq = seqOf(data);
    // a seq from the future is no bench push: the simulator's own seq of a REST order book (epoch µs), whose quote carries it
    if (seq <= fromMicros || seq > toMicros || seq > now) return;
    const symbol = symbolOf(data);
    if (samples === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[samples++] = now - seq;
    let w = conn.window.get(symbol);
    if (!w) conn.window.set(symbol, (w = { count: 0, last: 0 }));
    if (seq <= w.last) duplicates++;
    else w.count++;
    w.last = seq;
  }
}

function open(url: string, symbols: string[], id: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false, skipUTF8Validation: true });
    const conn: Conn = { ws, symbols, received: 0, latest: 0, window: new Map() };
    let acked = false;
    ws.on('open', () => ws.send('{"type":"connection_init"}'));
    ws.on('message', (data: Buffer) => {
      if (acked) {
        if (data.includes('"type":"next"')) return onNext(conn, data);
        if (data.includes('"type":"ping"')) ws.send('{"type":"pong"}');
        return;
      }
      if (!data.includes('connection_ack')) return;
      acked = true;
      ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query: BENCH_QUERY, variables: { symbols } } }));
      conns.push(conn);
      resolve(true);
    });
    ws.on('error', () => resolve(false));
    ws.on('close', () => {
      if (acked) closed++;
      resolve(false);
    });
  });
}

async function connectAll(url: string, subscriptions: string[][], concurrency: number): Promise<void> {
  const started = Date.now();
  let next = 0;
  let ok = 0;
  let failed = 0;
  const worker = async () => {
    while (next < subscriptions.length) {
      const i = next++;
      if (await open(url, subscriptions[i]!, UNIQUE_IDS ? `b${i}` : '1')) ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  send({ type: 'connected', ok, failed, ms: Date.now() - started });
}

let progressTimer: NodeJS.Timeout | null = null;
let lastMin = -1;

process.on('message', (message: ToClients) => {
  switch (message.type) {
    case 'connect':
      mode = message.mode;
      void connectAll(message.url, message.subscriptions, message.concurrency);
      break;
    case 'primed-count':
      send({ type: 'primed-count', primed: conns.filter((c) => c.received > 0).length, of: conns.length });
      break;
    case 'progress':
      if (progressTimer) clearInterval(progressTimer);
      progressTimer = null;
      if (message.on) {
        progressTimer = setInterval(() => {
          let min = Infinity;
          for (const c of conns) if (c.latest < min) min = c.latest;
          if (min !== lastMin) send({ type: 'progress', min: (lastMin = min) });
        }, 2);
      }
      break;
    case 'count': {
      const cpu = process.cpuUsage();
      send({ type: 'count', received: total, cpuMs: (cpu.user + cpu.system) / 1000, open: conns.length - closed, closed });
      break;
    }
    case 'mark':
      fromMicros = message.fromMicros;
      break;
    case 'report': {
      toMicros = message.toMicros;
      const sorted = latencies.subarray(0, samples).sort();
      const at = (q: number) => (samples ? sorted[Math.min(samples - 1, Math.floor(q * samples))]! / 1000 : NaN);
      let received = 0;
      let lost = 0;
      for (const c of conns) {
        for (const symbol of c.symbols) {
          const got = c.window.get(symbol)?.count ?? 0;
          received += got;
          lost += Math.max(0, (message.expected[symbol] ?? 0) - got);
        }
      }
      send({ type: 'report', samples, p50: at(0.5), p99: at(0.99), max: at(1), received, lost, duplicates, closed });
      break;
    }
    case 'exit':
      for (const c of conns) c.ws.terminate();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
