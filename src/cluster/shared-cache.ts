/**
 * The shared last-value cache: per symbol a hash `<prefix>last:<symbol>` with the latest trade and
 * book (each as the tick message that carried it) and which of them came last; trades also go to
 * the symbol's history stream (src/cluster/redis-history.ts). Only the lease
 * holder writes, through the fenced PUBLISH_EVENT script (cache write and channel publish in one
 * atomic step); every instance reads it for snapshot queries and to catch up when it starts
 * following a symbol.
 */
import type { Redis } from 'ioredis';
import type { MarketEvent } from '../feed/alltick/protocol.js';
import type { SymbolSnapshot } from '../feed/cache.js';
import type { ClusterKeys } from './keys.js';
import type { HeldLease } from './lease.js';
import { clusterScripts, type ClusterScripts } from './scripts.js';
import { decodeJson, eventOfMessage, tickMessageSchema, type TickMessage } from './wire.js';
import type { HistoryLimits } from '../feed/history/trade-history.js';

/** A symbol nobody has asked for in a day leaves the shared cache. */
const CACHE_TTL_MS = 24 * 3600 * 1000;

export type PublishOutcome = 'published' | 'stale' | 'fenced-out';

export class SharedCache {
  private readonly scripts: ClusterScripts;

  constructor(
    private readonly redis: Redis,
    private readonly keys: ClusterKeys,
    private readonly history: HistoryLimits,
  ) {
    this.scripts = clusterScripts(redis);
  }

  /** Owner only: stores the event and publishes it on its symbol's channel, unless fenced out or stale. */
  async publish(lease: HeldLease, event: MarketEvent): Promise<PublishOutcome> {
    const message: TickMessage = { fence: lease.fence, event };
    const result = await this.scripts.publishEvent(
      this.keys.owner,
      this.keys.last(event.symbol),
      this.keys.history(event.symbol),
      lease.value,
      event.kind === 'trade' ? 'trade' : 'book',
      JSON.stringify(message),
      event.seq,
      event.time,
      this.keys.ticks(event.symbol),
      CACHE_TTL_MS,
      this.history.maxTrades,
      this.history.maxAgeMs,
    );
    return result === 1 ? 'published' : result === 0 ? 'stale' : 'fenced-out';
  }

  /** The shared snapshot of each symbol (undefined when Redis knows nothing of it). */
  async read(symbols: readonly string[]): Promise<(SymbolSnapshot | undefined)[]> {
    const rows = await Promise.all(symbols.map((s) => this.redis.hmget(this.keys.last(s), 'trade', 'book', 'last')));
    return rows.map(([trade, book, last], i) => toSnapshot(symbols[i] as string, trade ?? null, book ?? null, last ?? null));
  }
}

function eventOf(text: string | null, symbol: string, kind: MarketEvent['kind']): MarketEvent | null {
  const message = text === null ? null : decodeJson(tickMessageSchema, text);
  const event = message ? eventOfMessage(message) : null;
  return event && event.symbol === symbol && event.kind === kind ? event : null;
}

function toSnapshot(symbol: string, tradeText: string | null, bookText: string | null, last: string | null): SymbolSnapshot | undefined {
  const trade = eventOf(tradeText, symbol, 'trade');
  const book = eventOf(bookText, symbol, 'depth');
  const lastEvent = last === 'book' ? (book ?? trade) : (trade ?? book);
  if (!lastEvent) return undefined;
  return {
    symbol,
    trade: trade?.kind === 'trade' ? trade : null,
    book: book?.kind === 'depth' ? book : null,
    last: lastEvent,
  };
}

/** The events that rebuild a snapshot in a local cache, the one that came last at the end. */
export function eventsOf(snapshot: SymbolSnapshot): MarketEvent[] {
  return [snapshot.trade, snapshot.book].filter((e): e is MarketEvent => e !== null && e !== snapshot.last).concat(snapshot.last);
}
