/**
 * What the bench processes share: the subscription every client sends, the symbols, the
 * messages exchanged over IPC, and a clock that all processes on the machine read alike.
 */
import { CATALOGUE } from '../src/feed/alltick/catalogue.js';

/** The one subscription of every bench client, whatever server it talks to. */
export const BENCH_QUERY =
  'subscription Bench($symbols: [String!]!) { quotes(symbols: $symbols, depth: 1) { symbol price volume time seq bids { price volume } asks { price volume } } }';

/** The servers a bench run measures unless BENCH_VARIANTS says otherwise. */
export const VARIANTS = ['raw', 'naive', 'ours'] as const;
/** `floor`, only on request: the raw broadcast writing pre-framed bytes straight to each TCP socket. */
export type Variant = (typeof VARIANTS)[number] | 'floor';

export const VARIANT_LABEL: Record<Variant, string> = {
  raw: 'raw ws broadcast (ceiling)',
  naive: 'naive Yoga + createPubSub',
  ours: 'alltick-graphql',
  floor: 'write floor (same bytes, one write each)',
};

/** The 50 symbols of workload B (and C): the first 50 of the catalogue. */
export const SYMBOLS_50: readonly string[] = CATALOGUE.slice(0, 50).map((e) => e.code);
export const SYMBOL_A = 'BTCUSDT';

/** CLOCK_MONOTONIC in µs: the same clock in every process of this machine. */
export function nowMicros(): number {
  const [seconds, nanos] = process.hrtime();
  return seconds * 1e6 + Math.floor(nanos / 1e3);
}

/** How a client reads its events. */
export type ClientMode =
  /** count `next` messages and track the latest seq (a tick number): workload A */
  | 'count'
  /** parse each event: latency from seq (µs, nowMicros of the push) and per-symbol counts: workload B */
  | 'latency'
  /** only note that the subscription works: workload C */
  | 'idle';

export type ToClients =
  | { type: 'connect'; url: string; subscriptions: string[][]; mode: ClientMode; concurrency: number }
  | { type: 'primed-count' }
  | { type: 'progress'; on: boolean }
  | { type: 'count' }
  | { type: 'mark'; fromMicros: number }
  | { type: 'report'; toMicros: number; expected: Record<string, number> }
  | { type: 'exit' };

export type FromClients =
  | { type: 'connected'; ok: number; failed: number; ms: number }
  | { type: 'primed-count'; primed: number; of: number }
  | { type: 'progress'; min: number }
  | { type: 'count'; received: number; cpuMs: number; open: number; closed: number }
  | { type: 'report'; samples: number; p50: number; p99: number; max: number; received: number; lost: number; duplicates: number; closed: number }
  | { type: 'error'; message: string };

export type ToServer = { type: 'stats'; gc?: boolean } | { type: 'heap-snapshot'; dir: string } | { type: 'exit' };

export type FromServer =
  | { type: 'ready'; port: number }
  | { type: 'heap-snapshot'; file: string }
  | { type: 'stats'; rss: number; heapUsed: number; heapTotal: number; external: number; cpuMs: number; connections: number; droppedUpdates: number }
  | { type: 'error'; message: string };
