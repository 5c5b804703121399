/**
 * The metrics of one server: read at scrape time from the state the feed already keeps (upstream
 * statuses and counters, the manager's ref counts, the cache), plus a few counts fed by event
 * listeners and by the `/metrics` Yoga plugin (subscriptions, events out). Nothing here sits in
 * the hot path but plain number increments: per upstream event, and per delivered result (a tally
 * that prom-client reads at scrape time, so no labelled counter is touched per frame).
 *
 * No label value comes from a URL, a reason text or client input, so the AllTick token cannot
 * reach a metric; label values are fixed words, endpoint names and schema field names.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ConnectionState } from '../feed/alltick/connection.js';
import type { MarketEvent } from '../feed/alltick/protocol.js';
import type { RestLimiter } from '../feed/alltick/rate-limiter.js';
import { ENDPOINTS, type Endpoint } from '../feed/alltick/symbols.js';
import type { LastValueCache } from '../feed/cache.js';
import type { FeedManager } from '../feed/manager.js';
import type { FeedStatusSource } from '../feed/status.js';
import type { AllTickUpstream } from '../feed/upstream.js';
import { DeliveryMetrics } from './delivery-metrics.js';
import { collectProcessDefaults, processRegistry, type Tally } from './process-metrics.js';

const STATES: readonly ConnectionState[] = ['idle', 'connecting', 'connected', 'disconnected', 'stopped'];

/** How a client reached us: a graphql-ws socket, an SSE stream, or another HTTP response. */
export type Transport = 'graphql-ws' | 'sse' | 'http';

export interface MetricsSources {
  /** this process's AllTick connections: their frame and request counters */
  upstream: AllTickUpstream;
  /** the upstream as `feedStatus` shows it (in a cluster, the owner's, on every instance): ready, connections, lists */
  status: FeedStatusSource;
  manager: FeedManager;
  cache: LastValueCache;
  /** the rate limiter of this server's AllTick REST client (in a cluster, the one through Redis) */
  restLimiter: RestLimiter;
}

export class ServerMetrics {
  readonly registry = new Registry();
  /** drops, evictions and delivery latency, counted by this server's streams and fan-out */
  readonly delivery = new DeliveryMetrics(this.registry);
  private readonly frames = { trade: 0, depth: 0, invalid: 0 };
  private readonly parseFailures: Record<Endpoint, number> = { stock: 0, quote: 0 };
  private readonly clients: Record<'graphql-ws' | 'sse', number> = { 'graphql-ws': 0, sse: 0 };
  private readonly activeSubscriptions: Gauge<'field' | 'transport'>;
  private readonly subscriptionsStarted: Counter<'field' | 'transport'>;
  /**
   * Per field and transport: its labels, the results handed to clients (alltick_events_out_total)
   * and the one function that ends a subscription of it (alltick_subscriptions_active)
   */
  private readonly fieldSeries = new Map<string, { labels: { field: string; transport: Transport }; tally: Tally; end: () => void }>();
  private readonly detach: (() => void)[] = [];

  constructor(sources: MetricsSources) {
    collectProcessDefaults();
    const { upstream, status, manager, cache, restLimiter } = sources;
    const registers = [this.registry];

    const onEvent = (event: MarketEvent) => {
      this.frames[event.kind]++;
    };
    const onInvalid = (endpoint: Endpoint) => {
      this.frames.invalid++;
      this.parseFailures[endpoint]++;
    };
    upstream.on('event', onEvent);
    upstream.on('invalidFrame', onInvalid);
    this.detach.push(
      () => upstream.off('event', onEvent),
      () => upstream.off('invalidFrame', onInvalid),
    );

    // --- upstream -------------------------------------------------------------------------
    new Gauge({
      name: 'alltick_upstream_ready',
      help: '1 when the first connection of every AllTick endpoint is connected',
      registers,
      collect() {
        this.set(status.status().connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'alltick_upstream_connections',
      help: 'AllTick WebSocket connections by endpoint and state',
      labelNames: ['endpoint', 'state'] as const,
      registers,
      collect() {
        this.reset();
        for (const endpoint of ENDPOINTS) for (const state of STATES) this.set({ endpoint, state }, 0);
        for (const c of status.status().connections) this.inc({ endpoint: c.endpoint, state: c.state });
      },
    });
    new Counter({
      name: 'alltick_upstream_reconnects_total',
      help: 'Times an AllTick connection was lost and scheduled to reconnect',
      labelNames: ['endpoint'] as const,
      registers,
      collect() {
        this.reset();
        for (const endpoint of ENDPOINTS) this.inc({ endpoint }, 0);
        for (const c of status.status().connections) this.inc({ endpoint: c.endpoint }, c.reconnects);
      },
    });
    new Gauge({
      name: 'alltick_upstream_symbols',
      help: 'Symbols on the AllTick subscription lists, by endpoint and list (trades, depth)',
      labelNames: ['endpoint', 'list'] as const,
      registers,
      collect() {
        const connections = status.status().connections;
        for (const endpoint of ENDPOINTS) {
          const ofEndpoint = connections.filter((c) => c.endpoint === endpoint);
          this.set(
            { endpoint, list: 'trades' },
            ofEndpoint.reduce((n, c) => n + c.trades.length, 0),
          );
          this.set(
            { endpoint, list: 'depth' },
            ofEndpoint.reduce((n, c) => n + c.depth.length, 0),
          );
        }
      },
    });
    new Gauge({
      name: 'alltick_upstream_last_message_age_seconds',
      help: 'Seconds since each AllTick connection last received a frame (heartbeat acks included)',
      labelNames: ['endpoint', 'index'] as const,
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const c of status.status().connections) {
          if (c.lastMessageAt !== null) this.set({ endpoint: c.endpoint, index: String(c.index) }, (now - c.lastMessageAt) / 1000);
        }
      },
    });
    const frames = this.frames;
    new Counter({
      name: 'alltick_upstream_frames_total',
      help: 'Frames received from AllTick by type: trade and depth pushes, acks (of every request, heartbeats included), invalid',
      labelNames: ['type'] as const,
      registers,
      collect() {
        this.reset();
        const ack = Math.max(0, upstream.counters.framesIn - frames.trade - frames.depth - frames.invalid);
        this.inc({ type: 'trade' }, frames.trade);
        this.inc({ type: 'depth' }, frames.depth);
        this.inc({ type: 'ack' }, ack);
        this.inc({ type: 'invalid' }, frames.invalid);
      },
    });
    const parseFailures = this.parseFailures;
    new Counter({
      name: 'alltick_upstream_parse_failures_total',
      help: 'AllTick frames that failed JSON parsing or validation (dropped, never sent to a client)',
      labelNames: ['endpoint'] as const,
      registers,
      collect() {
        this.reset();
        for (const endpoint of ENDPOINTS) this.inc({ endpoint }, parseFailures[endpoint]);
      },
    });
    new Counter({
      name: 'alltick_upstream_requests_total',
      help: 'Requests sent to AllTick (subscribe, cancel, heartbeat)',
      registers,
      collect() {
        this.reset();
        this.inc(upstream.counters.requestsSent);
      },
    });
    new Counter({
      name: 'alltick_upstream_rejections_total',
      help: 'AllTick answers with an error ret, refused connects included',
      registers,
      collect() {
        this.reset();
        this.inc(upstream.counters.rejected);
      },
    });

    // --- AllTick REST: calls and rate-limit waits, read from this server's limiter ----------
    const restCounter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    restCounter('alltick_rest_calls_total', 'AllTick REST calls let through by the rate limiter', () => restLimiter.stats().calls);
    restCounter('alltick_rest_rate_limit_waits_total', 'AllTick REST calls that had to wait for the rate limiter', () => restLimiter.stats().waits);
    restCounter(
      'alltick_rest_rate_limit_wait_seconds_total',
      'Total time AllTick REST calls waited for the rate limiter',
      () => restLimiter.stats().totalWaitMs / 1000,
    );
    restCounter('alltick_rest_rate_limited_total', 'AllTick REST calls refused because the wait would have been too long', () => restLimiter.stats().rejected);
    new Gauge({
      name: 'alltick_rest_queued',
      help: 'AllTick REST calls waiting for the rate limiter now',
      registers,
      collect() {
        this.set(restLimiter.stats().queued);
      },
    });

    // --- feed -----------------------------------------------------------------------------
    new Gauge({
      name: 'alltick_feed_leases',
      help: 'Live subscriptions holding a lease on the feed',
      registers,
      collect() {
        this.set(manager.leaseCount);
      },
    });
    new Gauge({
      name: 'alltick_feed_refs',
      help: 'Sum over symbols of the leases that include them (the ref counts)',
      registers,
      collect() {
        this.set(manager.totalRefs);
      },
    });
    new Gauge({
      name: 'alltick_cache_symbols',
      help: 'Symbols in the last-value cache',
      registers,
      collect() {
        this.set(cache.size);
      },
    });

    // --- clients --------------------------------------------------------------------------
    const clients = this.clients;
    new Gauge({
      name: 'alltick_client_connections',
      help: 'Open client connections by transport: graphql-ws sockets, SSE streams',
      labelNames: ['transport'] as const,
      registers,
      collect() {
        for (const [transport, n] of Object.entries(clients)) this.set({ transport }, n);
      },
    });
    this.activeSubscriptions = new Gauge({
      name: 'alltick_subscriptions_active',
      help: 'Active GraphQL subscriptions by root field and transport',
      labelNames: ['field', 'transport'] as const,
      registers,
    });
    this.subscriptionsStarted = new Counter({
      name: 'alltick_subscriptions_started_total',
      help: 'GraphQL subscriptions started, by root field and transport',
      labelNames: ['field', 'transport'] as const,
      registers,
    });
    const fieldSeries = this.fieldSeries;
    new Counter({
      name: 'alltick_events_out_total',
      help: 'Subscription results handed to clients, by root field and transport',
      labelNames: ['field', 'transport'] as const,
      registers,
      collect() {
        this.reset();
        for (const { labels, tally } of fieldSeries.values()) this.inc(labels, tally.count);
      },
    });
  }

  /** Counts graphql-ws sockets (upgrades on /graphql) and SSE streams of an HTTP server. */
  observeHttpServer(server: Server, graphqlPath = '/graphql'): void {
    // one listener for every socket ('close' comes once), not a closure and a once-wrapper each
    const onSocketClose = () => void this.clients['graphql-ws']--;
    const onUpgrade = (req: IncomingMessage, socket: Duplex) => {
      if (pathOf(req) !== graphqlPath) return;
      this.clients['graphql-ws']++;
      socket.on('close', onSocketClose);
    };
    const onStreamClose = () => void this.clients.sse--;
    const onRequest = (req: IncomingMessage, res: { on(event: 'close', fn: () => void): unknown }) => {
      if (!req.headers.accept?.includes('text/event-stream')) return;
      this.clients.sse++;
      res.on('close', onStreamClose);
    };
    server.on('upgrade', onUpgrade);
    server.on('request', onRequest);
    this.detach.push(
      () => server.off('upgrade', onUpgrade),
      () => server.off('request', onRequest),
    );
  }

  /**
   * Marks a subscription as started; the returned function ends it — call it once. It is one
   * function per field and transport, shared by their subscriptions: an idle subscription holds
   * no closure or labels of its own.
   */
  subscriptionStarted(field: string, transport: Transport): () => void {
    const series = this.seriesOf(field, transport);
    this.subscriptionsStarted.inc(series.labels);
    this.activeSubscriptions.inc(series.labels);
    return series.end;
  }

  /** The tally of results handed to clients of `field` over `transport`: add to its `count`. */
  eventTally(field: string, transport: Transport): Tally {
    return this.seriesOf(field, transport).tally;
  }

  private seriesOf(field: string, transport: Transport) {
    const key = `${field}\n${transport}`;
    let series = this.fieldSeries.get(key);
    if (!series) {
      const labels = { field, transport };
      series = { labels, tally: { count: 0 }, end: () => this.activeSubscriptions.dec(labels) };
      this.fieldSeries.set(key, series);
    }
    return series;
  }

  /** Prometheus text: this server's series, then the process-wide ones. */
  async scrape(): Promise<string> {
    const [own, shared] = await Promise.all([this.registry.metrics(), processRegistry.metrics()]);
    return `${own}\n${shared}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Stops listening to the upstream and the HTTP server. */
  dispose(): void {
    while (this.detach.length) this.detach.pop()?.();
  }
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
