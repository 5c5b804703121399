/**
 * Process-wide metrics that any module can feed without holding a server handle: events dropped,
 * clients evicted, the upstream-receive → client-send latency, and Node's default process
 * metrics. Every server's `/metrics` includes them (when one process runs several servers, as some
 * tests do, these series are their sum). Everything a server can own is in server-metrics.ts.
 *
 * Hot code calls the small functions below; they never throw, and they only note numbers: drops
 * reach prom-client at scrape time, latencies once per event and turn.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export const processRegistry = new Registry();

/** A count kept as a plain number on the hot path and handed to prom-client at scrape time. */
export interface Tally {
  count: number;
}

let defaultsOn = false;
/** Node's process_* and nodejs_* series; started by the first server, not at import. */
export function collectProcessDefaults(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: processRegistry });
}

// ---------------------------------------------------------------------------------------------
// Drops and evictions (the slow-consumer policy counts here)

/** Drops counted since the last scrape, by stream and reason: a slow client's drops cost a number each. */
const pendingDrops = new Map<string, Map<string, number>>();

const dropped = new Counter({
  name: 'alltick_events_dropped_total',
  help: 'Events a subscriber did not get: replaced by a newer value of the same symbol in a full queue (reason "conflated"), or lost otherwise (e.g. "evicted")',
  labelNames: ['stream', 'reason'] as const,
  registers: [processRegistry],
  collect() {
    for (const [stream, reasons] of pendingDrops) for (const [reason, n] of reasons) this.inc({ stream, reason }, n);
    pendingDrops.clear();
  },
});

const evicted = new Counter({
  name: 'alltick_clients_evicted_total',
  help: 'Client connections the server closed because they could not keep up (or broke another policy)',
  labelNames: ['transport', 'reason'] as const,
  registers: [processRegistry],
});

/** `stream` is the subscription field (quotes, trades…); `reason` a short fixed word. */
export function countDropped(stream: string, reason: string, n = 1): void {
  let reasons = pendingDrops.get(stream);
  if (!reasons) pendingDrops.set(stream, (reasons = new Map<string, number>()));
  reasons.set(reason, (reasons.get(reason) ?? 0) + n);
}

/** `transport` is graphql-ws or sse; `reason` a short fixed word (slow-consumer, …). */
export function countEvicted(transport: string, reason: string): void {
  evicted.inc({ transport, reason });
}

// ---------------------------------------------------------------------------------------------
// Upstream-receive → client-send latency

const latency = new Histogram({
  name: 'alltick_delivery_latency_seconds',
  help: 'Time from decoding an upstream frame until its event has been handed to the transports of its subscribers (one observation per event and stream; live events only, not the initial snapshot)',
  labelNames: ['stream'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [processRegistry],
  collect() {
    observePending(); // a scrape inside a turn sees that turn's deliveries too
  },
});

// the series of the quotes stream exist from the start (at zero), as Prometheus prefers
dropped.inc({ stream: 'quotes', reason: 'conflated' }, 0);
latency.zero({ stream: 'quotes' });

/**
 * Deliveries of this turn not yet observed: one per upstream event and stream, however many
 * groups or subscribers it reached. They are observed when the turn's synchronous fan-out is done
 * (next tick), so the figure is the time until the last of them had the event.
 */
const pending: { stream: string; at: number }[] = [];
let last: { stream: string; at: number } | undefined;

/** Notes that an item received at `at` is being handed to a client; no stamp, no observation. */
export function observeDelivery(stream: string, at: number | undefined): void {
  if (at === undefined || (last !== undefined && last.at === at && last.stream === stream)) return;
  last = { stream, at };
  if (pending.push(last) === 1) process.nextTick(observePending);
}

function observePending(): void {
  const now = performance.now();
  for (const { stream, at } of pending) latency.observe({ stream }, (now - at) / 1000);
  pending.length = 0;
  last = undefined;
}
