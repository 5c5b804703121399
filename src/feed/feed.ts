/**
 * The market feed as the GraphQL layer sees it: snapshots from the last-value cache, and
 * `watch`, which takes a lease on symbols and delivers each of their updates until released.
 * Upstream events flow upstream → cache → bus → watchers.
 */
import type { Bus } from './bus.js';
import type { MarketEvent } from './alltick/protocol.js';
import { LastValueCache, type SymbolSnapshot } from './cache.js';
import { LiveCandles, type LiveBar } from './candles/live-candles.js';
import type { Interval } from './candles/intervals.js';
import { MemoryTradeHistory, type TradeHistory } from './history/trade-history.js';
import type { FeedManager, Lease, LeaseFailureHandler } from './manager.js';

export interface Watch {
  /** Stops delivery and gives the lease back; safe to call more than once. */
  release(): void;
  /** the symbols upstream did not hold before this watch: what the cache has of them is not live */
  fresh: readonly string[];
  /** Stops delivering one symbol's updates, keeping its lease (someone else listens for this watch: a shared lane). */
  mute(symbol: string): void;
}

/** Cluster mode: where queries find symbols whose updates this instance does not receive. */
export interface SharedSnapshots {
  /** true while this instance receives the symbol's updates, so its local cache is current */
  follows(symbol: string): boolean;
  read(symbols: readonly string[]): Promise<(SymbolSnapshot | undefined)[]>;
}

/** Cluster mode: the check of the cluster-wide symbol cap a subscribe passes first (throws CapacityError). */
export interface Admission {
  admit(symbols: readonly string[]): Promise<void>;
}

export class MarketFeed {
  readonly cache = new LastValueCache();
  /** candles built from the trades (candles) */
  readonly candles = new LiveCandles();

  constructor(
    readonly manager: FeedManager,
    private readonly bus: Bus,
    private readonly shared: SharedSnapshots | null = null,
    private readonly admission: Admission | null = null,
    /** the bounded trade history (recentTrades, resumed trades): in memory, or shared in Redis */
    readonly history: TradeHistory = new MemoryTradeHistory(),
  ) {}

  /**
   * Resolves when a subscribe to `symbols` may go ahead, rejects with CapacityError when the plan
   * cannot hold them; null when there is nothing to wait for (one instance checks in `watch`; with
   * several, the cap is the cluster's, in Redis).
   */
  admit(symbols: readonly string[]): Promise<void> | null {
    return this.admission ? this.admission.admit(symbols) : null;
  }

  /** Feed one live event in (from upstream or the cluster's bus): cache it and publish it unless it is stale. */
  ingest(event: MarketEvent): void {
    const snapshot = this.cache.apply(event, performance.now()); // delivery latency counts from here
    if (!snapshot) return;
    if (event.kind === 'trade') {
      this.history.append(event); // before publishing: every delivered trade has its id
      this.candles.add(event);
    }
    this.bus.publish(snapshot);
  }

  /**
   * The bars built live from trades, for queries: this instance's, or in a cluster the ones the
   * shared trade history builds, so that every instance answers the same.
   */
  async liveBars(symbol: string, interval: Interval): Promise<LiveBar[]> {
    if (!this.history.shared) return this.candles.bars(symbol, interval);
    let trades;
    try {
      ({ trades } = await this.history.since(symbol, null));
    } catch {
      return this.candles.bars(symbol, interval); // Redis is away: this instance's bars are the best there is
    }
    const built = new LiveCandles();
    for (const trade of trades) built.add(trade);
    return built.bars(symbol, interval);
  }

  /**
   * Values read from REST (a trade, a book) of one symbol upstream does not stream yet (a cold subscription's first
   * data): cached and published like a tick unless the cache already holds one as new, so no
   * older value ever follows a newer one. Not a trade of the trade history or the candles.
   */
  prime(events: readonly MarketEvent[]): void {
    let snapshot: SymbolSnapshot | null = null;
    for (const event of [...events].sort((a, b) => a.time - b.time)) {
      // a REST answer may land after a live push: one older by time is not applied, whatever its seq (a reset upstream lowers seq)
      const held = this.cache.get(event.symbol);
      const heldOfKind = event.kind === 'trade' ? held?.trade : held?.book;
      if (heldOfKind && heldOfKind.time > event.time) continue;
      snapshot = this.cache.apply(event) ?? snapshot;
    }
    if (snapshot) this.bus.publish(snapshot); // one update with all of it
  }

  snapshot(symbol: string): SymbolSnapshot | undefined {
    return this.cache.get(symbol);
  }

  /**
   * Snapshots for queries: the local cache, or in cluster mode the shared cache for symbols this
   * instance does not follow. If Redis cannot answer, the local cache is the best there is.
   */
  async lookup(symbols: readonly string[]): Promise<(SymbolSnapshot | undefined)[]> {
    const shared = this.shared;
    const remote = shared ? symbols.filter((s) => !shared.follows(s)) : [];
    if (!shared || remote.length === 0) return symbols.map((s) => this.cache.get(s));
    const fetched = new Map<string, SymbolSnapshot | undefined>();
    try {
      const found = await shared.read(remote);
      remote.forEach((s, i) => fetched.set(s, found[i]));
    } catch {
      // Redis is away: readiness already says so
    }
    return symbols.map((s) => fetched.get(s) ?? this.cache.get(s));
  }

  /**
   * Listens to one symbol's updates without a lease (whoever needs them held holds a `watch`);
   * returns the function that stops listening.
   */
  listen(symbol: string, onUpdate: (snapshot: SymbolSnapshot) => void): () => void {
    return this.bus.subscribe(symbol, onUpdate);
  }

  /**
   * Throws CapacityError or SymbolRejectedError (before listening) when the symbols cannot be
   * held; `onFailure` hears of a symbol upstream refuses later.
   */
  watch(symbols: readonly string[], depth: number, onUpdate: (snapshot: SymbolSnapshot) => void, onFailure?: LeaseFailureHandler): Watch {
    const fresh = symbols.filter((s) => !this.manager.holds(s));
    const lease: Lease = this.manager.acquire(symbols, depth, onFailure);
    const unsubscribes = lease.symbols.map((symbol) => this.bus.subscribe(symbol, onUpdate));
    let released = false;
    return {
      fresh,
      mute: (symbol) => unsubscribes[lease.symbols.indexOf(symbol)]?.(),
      release: () => {
        if (released) return;
        released = true;
        for (const unsubscribe of unsubscribes) unsubscribe();
        lease.release();
      },
    };
  }
}
