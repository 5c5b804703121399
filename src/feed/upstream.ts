/**
 * The AllTick side of the server: per endpoint, as many connections as the plan allows, each
 * holding at most the plan's codes per subscription. The endpoint's lists are spread over the
 * connections with stable assignment (a symbol stays where it is while it stays wanted), so a
 * change touches as few connections as possible. Connection 0 of each endpoint is always open
 * (readiness); further ones open when their share of the list is non-empty and close when empty.
 */
import { EventEmitter } from 'node:events';
import {
  AllTickConnection,
  type CodeRejection,
  type ConnectionStatus,
  type Logger,
  type RejectedRequest,
  type SocketGate,
  type SubscriptionLists,
} from './alltick/connection.js';
import type { MarketEvent, SymbolEntry, TickTimeWindow } from './alltick/protocol.js';
import { ENDPOINTS, type Endpoint } from './alltick/symbols.js';
import { TOKEN_SUBSCRIBE_SPACING_MS, type Plan } from './alltick/plans.js';
import type { RestStatus } from './alltick/rest.js';
import { SubscribeScheduler } from './alltick/subscribe-scheduler.js';
import { systemClock } from './manager.js';
import type { ListSink } from './manager.js';
import type { FeedStatus, FeedStatusSource, WaitingListView } from './status.js';

export interface UpstreamOptions {
  wsBaseUrl: string;
  token: string;
  plan: Plan;
  /** token-wide gap between subscription requests (ALLTICK_SUBSCRIBE_GAP_MS); timings.subscribeSpacingMs overrides it */
  subscribeGapMs?: number;
  logger?: Logger;
  /** cluster mode: the token's socket rules kept across instances */
  socketGate?: SocketGate;
  /** pushes stamped outside this window of now are dropped (UPSTREAM_TICK_MAX_AGE_MS / _AHEAD_MS) */
  tickTimeWindow?: TickTimeWindow;
  /** overrides for tests: spacing, heartbeat and reconnect timings */
  timings?: {
    heartbeatIntervalMs?: number;
    requestSpacingMs?: number;
    subscribeSpacingMs?: number;
    ackTimeoutMs?: number;
    reconnectGapMs?: number;
    maxBackoffMs?: number;
  };
}

export interface UpstreamEvents {
  event: [MarketEvent];
  status: [ConnectionStatus];
  rejected: [RejectedRequest & { endpoint: Endpoint }];
  codeRejected: [CodeRejection & { endpoint: Endpoint }];
  invalidFrame: [endpoint: Endpoint, reason: string];
  /** the REST side's status changed (a call failed) */
  restStatus: [];
}

export class AllTickUpstream extends EventEmitter<UpstreamEvents> implements ListSink, FeedStatusSource {
  private readonly connections: Record<Endpoint, AllTickConnection[]> = { stock: [], quote: [] };
  /** the token's subscribe budget: every list request of every connection waits here for its slot */
  readonly scheduler: SubscribeScheduler;
  private started = false;
  private rest: { status(): RestStatus } | null = null;

  constructor(private readonly opts: UpstreamOptions) {
    super();
    const gap = opts.timings?.subscribeSpacingMs ?? opts.subscribeGapMs ?? TOKEN_SUBSCRIBE_SPACING_MS;
    this.scheduler = new SubscribeScheduler(gap, systemClock);
  }

  /** Symbols one endpoint can hold: connections × codes per subscription. */
  get capacity(): Record<Endpoint, number> {
    const perEndpoint = this.opts.plan.connections * this.opts.plan.codesPerSubscription;
    return { stock: perEndpoint, quote: perEndpoint };
  }

  /** Adds the REST client's health to `status()`; call `restChanged()` when it changes. */
  attachRest(rest: { status(): RestStatus }): void {
    this.rest = rest;
  }

  restChanged(): void {
    this.emit('restStatus');
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const endpoint of ENDPOINTS) this.connectionAt(endpoint, 0).start();
  }

  /** Closes every connection, first giving list changes already made up to `settleMs` to reach upstream. */
  async stop(settleMs = 0): Promise<void> {
    this.started = false;
    const all = ENDPOINTS.flatMap((e) => this.connections[e]);
    if (settleMs > 0) await Promise.all(all.map((c) => c.settle(settleMs)));
    await Promise.all(all.map((c) => c.stop()));
  }

  /**
   * Closes every connection and forgets them, so a later `start()` opens fresh ones (cluster mode:
   * the upstream stops when this instance loses the lease and starts again if it wins it back).
   */
  async stopAndForget(settleMs = 0): Promise<void> {
    await this.stop(settleMs);
    for (const endpoint of ENDPOINTS) this.connections[endpoint].length = 0;
  }

  /** Every connection's status. */
  get statuses(): ConnectionStatus[] {
    return ENDPOINTS.flatMap((e) => this.connections[e].map((c) => c.status));
  }

  /** Ready when every endpoint's first connection is up. */
  get connected(): boolean {
    return ENDPOINTS.every((e) => this.connections[e][0]?.status.state === 'connected');
  }

  status(): FeedStatus {
    const queue = this.scheduler.queue();
    const waitingOf = (c: AllTickConnection): WaitingListView[] =>
      (['trades', 'depth'] as const).flatMap((list) => {
        const waiting = queue.find((w) => w.key === c.listKey(list));
        return waiting ? [{ list, symbols: c.unsent(list), since: waiting.since, expectedAt: waiting.expectedAt }] : [];
      });
    return {
      connected: this.connected,
      connections: ENDPOINTS.flatMap((e) =>
        this.connections[e].map((c) => {
          const s = c.status;
          return {
            endpoint: s.endpoint,
            index: s.index,
            state: s.state,
            reason: s.reason ?? null,
            since: s.since,
            reconnects: s.reconnects,
            resubscribed: s.resubscribed ?? false,
            lastMessageAt: s.lastMessageAt,
            lastError: s.lastError,
            trades: c.lists.trades,
            depth: c.lists.depth.map((d) => d.code),
            waiting: waitingOf(c),
          };
        }),
      ),
      rest: this.rest?.status() ?? null,
    };
  }

  onStatusChange(listener: (status: FeedStatus) => void): () => void {
    const onStatus = () => listener(this.status());
    this.on('status', onStatus);
    this.on('restStatus', onStatus);
    return () => {
      this.off('status', onStatus);
      this.off('restStatus', onStatus);
    };
  }

  /** Totals over every connection, for metrics. */
  get counters(): AllTickConnection['counters'] {
    const total = { framesIn: 0, invalidFrames: 0, requestsSent: 0, rejected: 0 };
    for (const c of ENDPOINTS.flatMap((e) => this.connections[e])) {
      for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += c.counters[key];
    }
    return total;
  }

  setDesired(endpoint: Endpoint, lists: SubscriptionLists): void {
    const cap = this.opts.plan.codesPerSubscription;
    const count = this.opts.plan.connections;
    const current = this.connections[endpoint].map((c) => c.lists);
    const trades = assign(
      lists.trades,
      current.map((l) => l.trades),
      cap,
      count,
    );
    const depthCodes = assign(
      lists.depth.map((e) => e.code),
      current.map((l) => l.depth.map((e) => e.code)),
      cap,
      count,
    );
    const levels = new Map(lists.depth.map((e) => [e.code, e] as const));
    for (let i = 0; i < count; i++) {
      const share: SubscriptionLists = {
        trades: trades[i] ?? [],
        depth: (depthCodes[i] ?? []).map((code) => levels.get(code) as SymbolEntry),
      };
      const exists = i < this.connections[endpoint].length;
      if (!exists && share.trades.length === 0 && share.depth.length === 0) continue;
      const connection = this.connectionAt(endpoint, i);
      connection.setLists(share);
      if (this.started) connection.start();
    }
  }

  private connectionAt(endpoint: Endpoint, index: number): AllTickConnection {
    const list = this.connections[endpoint];
    while (list.length <= index) {
      const { subscribeSpacingMs: _gateSpacing, ...timings } = this.opts.timings ?? {};
      const connection = new AllTickConnection({
        wsBaseUrl: this.opts.wsBaseUrl,
        endpoint,
        token: this.opts.token,
        plan: this.opts.plan,
        index: list.length,
        scheduler: this.scheduler,
        ...(this.opts.socketGate && { socketGate: this.opts.socketGate }),
        ...(this.opts.logger && { logger: this.opts.logger }),
        ...(this.opts.tickTimeWindow && { tickTimeWindow: this.opts.tickTimeWindow }),
        ...definedOnly(timings),
      });
      connection.on('event', (e) => this.emit('event', e));
      connection.on('status', (s) => this.emit('status', s));
      connection.on('rejected', (r) => this.emit('rejected', { ...r, endpoint }));
      connection.on('codeRejected', (r) => this.emit('codeRejected', { ...r, endpoint }));
      connection.on('invalidFrame', (reason) => this.emit('invalidFrame', endpoint, reason));
      list.push(connection);
    }
    return list[index] as AllTickConnection;
  }
}

/**
 * Spreads `wanted` codes over `count` buckets of at most `cap` each, keeping every code that is
 * still wanted in the bucket it already had; codes that fit nowhere are left out.
 */
export function assign(wanted: string[], current: string[][], cap: number, count: number): string[][] {
  const wantedSet = new Set(wanted);
  const buckets: string[][] = [];
  const placed = new Set<string>();
  for (let i = 0; i < count; i++) {
    const kept = (current[i] ?? []).filter((c) => wantedSet.has(c) && !placed.has(c)).slice(0, cap);
    kept.forEach((c) => placed.add(c));
    buckets.push(kept);
  }
  for (const code of wanted) {
    if (placed.has(code)) continue;
    const bucket = buckets.find((b) => b.length < cap);
    if (!bucket) break;
    bucket.push(code);
    placed.add(code);
  }
  return buckets.map((b) => b.sort());
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
