/**
 * The market feed as the GraphQL layer sees it: snapshots from the last-value cache, and
 * `watch`, which takes a lease on symbols and delivers each of their updates until released.
 * Upstream events flow upstream → cache → bus → watchers.
 */
import type { Bus } from '../bus/bus.js';
import type { MarketEvent } from './alltick/protocol.js';
import { LastValueCache, type SymbolSnapshot } from './cache.js';
import { LiveCandles } from './candles/live-candles.js';
import { TradeLog } from './trade-log.js';
import type { FeedManager, Lease, LeaseFailureHandler } from './manager.js';

export interface Watch {
  /** Stops delivery and gives the lease back; safe to call more than once. */
  release(): void;
}

export class MarketFeed {
  readonly cache = new LastValueCache();
  /** recent trades per symbol (recentTrades) */
  readonly trades = new TradeLog();
  /** candles built from the trades (candles) */
  readonly candles = new LiveCandles();

  constructor(
    readonly manager: FeedManager,
    private readonly bus: Bus,
  ) {}

  /** Feed one upstream event in: cache it and publish it unless it is stale. */
  ingest(event: MarketEvent): void {
    const snapshot = this.cache.apply(event);
    if (!snapshot) return;
    if (event.kind === 'trade') {
      this.trades.add(event);
      this.candles.add(event);
    }
    this.bus.publish(snapshot);
  }

  snapshot(symbol: string): SymbolSnapshot | undefined {
    return this.cache.get(symbol);
  }

  /**
   * Throws CapacityError or SymbolRejectedError (before listening) when the symbols cannot be
   * held; `onFailure` hears of a symbol upstream refuses later.
   */
  watch(symbols: readonly string[], depth: number, onUpdate: (snapshot: SymbolSnapshot) => void, onFailure?: LeaseFailureHandler): Watch {
    const lease: Lease = this.manager.acquire(symbols, depth, onFailure);
    const unsubscribes = lease.symbols.map((symbol) => this.bus.subscribe(symbol, onUpdate));
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        for (const unsubscribe of unsubscribes) unsubscribe();
        lease.release();
      },
    };
  }
}
