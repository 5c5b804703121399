/**
 * What one server's delivery path counts: events dropped, clients evicted, and the
 * upstream-receive → client-send latency. Owned by the server's metrics (its registry) and handed
 * to the streams and the fan-out that count into it, so two servers in one process keep their own.
 *
 * Hot code calls the small methods below; they never throw, and they only note numbers: drops
 * reach prom-client at scrape time, latencies once per event and turn.
 */
import { Counter, Histogram, Registry } from 'prom-client';

export class DeliveryMetrics {
  /** drops counted since the last scrape, by stream and reason: a slow client's drops cost a number each */
  private readonly pendingDrops = new Map<string, Map<string, number>>();
  private readonly evicted: Counter<'transport' | 'reason'>;
  private readonly latency: Histogram<'stream'>;
  /**
   * Deliveries of this turn not yet observed: one per upstream event and stream, however many
   * groups or subscribers it reached. They are observed when the turn's synchronous fan-out is
   * done (next tick), so the figure is the time until the last of them had the event.
   */
  private readonly pending: { stream: string; at: number }[] = [];
  private last: { stream: string; at: number } | undefined;
  private readonly observePending = () => {
    const now = performance.now();
    for (const { stream, at } of this.pending) this.latency.observe({ stream }, (now - at) / 1000);
    this.pending.length = 0;
    this.last = undefined;
  };

  constructor(readonly registry = new Registry()) {
    const pendingDrops = this.pendingDrops;
    const observePending = this.observePending;
    const registers = [registry];
    const dropped = new Counter({
      name: 'alltick_events_dropped_total',
      help: 'Events a subscriber did not get: replaced by a newer value of the same symbol in a full queue (reason "conflated"), or lost otherwise (e.g. "evicted")',
      labelNames: ['stream', 'reason'] as const,
      registers,
      collect() {
        for (const [stream, reasons] of pendingDrops) for (const [reason, n] of reasons) this.inc({ stream, reason }, n);
        pendingDrops.clear();
      },
    });
    this.evicted = new Counter({
      name: 'alltick_clients_evicted_total',
      help: 'Client connections the server closed because they could not keep up (or broke another policy)',
      labelNames: ['transport', 'reason'] as const,
      registers,
    });
    this.latency = new Histogram({
      name: 'alltick_delivery_latency_seconds',
      help: 'Time from decoding an upstream frame until its event has been handed to the transports of its subscribers (one observation per event and stream; live events only, not the initial snapshot)',
      labelNames: ['stream'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
      collect() {
        observePending(); // a scrape inside a turn sees that turn's deliveries too
      },
    });
    // the series of the quotes stream exist from the start (at zero), as Prometheus prefers
    dropped.inc({ stream: 'quotes', reason: 'conflated' }, 0);
    this.latency.zero({ stream: 'quotes' });
  }

  /** `stream` is the subscription field (quotes, trades…); `reason` a short fixed word. */
  countDropped(stream: string, reason: string, n = 1): void {
    let reasons = this.pendingDrops.get(stream);
    if (!reasons) this.pendingDrops.set(stream, (reasons = new Map<string, number>()));
    reasons.set(reason, (reasons.get(reason) ?? 0) + n);
  }

  /** `transport` is graphql-ws or sse; `reason` a short fixed word (slow-consumer, …). */
  countEvicted(transport: string, reason: string): void {
    this.evicted.inc({ transport, reason });
  }

  /** Notes that an item received at `at` (performance.now()) is being handed to a client; none: not a live event, no observation. */
  observeDelivery(stream: string, at: number | undefined): void {
    const last = this.last;
    if (at === undefined || (last !== undefined && last.at === at && last.stream === stream)) return;
    this.last = { stream, at };
    if (this.pending.push(this.last) === 1) process.nextTick(this.observePending);
  }
}
