/**
 * The last-value cache: per symbol, the latest trade and the latest order book with their seq and
 * time. Snapshot queries read it; new subscribers get it as their first events.
 */
import type { DepthBook, MarketEvent, PriceLevel, Trade } from './alltick/protocol.js';

export interface SymbolSnapshot {
  symbol: string;
  trade: Trade | null;
  book: DepthBook | null;
  /** the event that last changed this symbol */
  last: MarketEvent;
  /** when `last` came in live (performance.now()); none for a REST read: delivery latency counts from here */
  receivedAt?: number;
}

/** What SPEC §4 calls a Quote, before depth is applied. */
export interface QuoteView {
  symbol: string;
  price: string | null;
  volume: string | null;
  time: number | null;
  seq: string | null;
  bids: PriceLevel[];
  asks: PriceLevel[];
  /** seq of the last trade and of the last book: what a quote cursor names */
  tradeSeq: string | null;
  bookSeq: string | null;
  /** false while the order book is not known yet (or depth 0 asked for none): empty bids/asks then mean "unknown", not "empty" */
  bookKnown: boolean;
}

export class LastValueCache {
  private readonly entries = new Map<string, SymbolSnapshot>();

  /** Stores an event (live ones with their receive time); returns the symbol's new snapshot, or null when the event is older than what is stored. */
  apply(event: MarketEvent, receivedAt?: number): SymbolSnapshot | null {
    const prev = this.entries.get(event.symbol);
    const previousOfKind = event.kind === 'trade' ? prev?.trade : prev?.book;
    if (previousOfKind && isStale(event, previousOfKind)) return null;
    const next: SymbolSnapshot = {
      symbol: event.symbol,
      trade: event.kind === 'trade' ? event : (prev?.trade ?? null),
      book: event.kind === 'depth' ? event : (prev?.book ?? null),
      last: event,
      ...(receivedAt !== undefined && { receivedAt }),
    };
    this.entries.set(event.symbol, next);
    return next;
  }

  get(symbol: string): SymbolSnapshot | undefined {
    return this.entries.get(symbol);
  }

  /** Forgets a symbol (cluster mode: this instance stopped following it, so its entry would go stale). */
  delete(symbol: string): boolean {
    return this.entries.delete(symbol);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * A repeat or an out-of-order older update. A lower seq with a later time is taken as a
 * sequence reset upstream, not as stale, so a reset can never freeze a symbol.
 */
function isStale(event: MarketEvent, previous: MarketEvent): boolean {
  if (event.seq === previous.seq) return true;
  return isOlder(event.seq, previous.seq) && event.time <= previous.time;
}

/** seq values are digit strings that can exceed 2^53: compare by length, then lexically. */
export function isOlder(seq: string, than: string): boolean {
  if (seq.length !== than.length) return seq.length < than.length;
  return seq <= than;
}

export function quoteView(snapshot: SymbolSnapshot, depth: number): QuoteView {
  return {
    symbol: snapshot.symbol,
    price: snapshot.trade?.price ?? null,
    volume: snapshot.trade?.volume ?? null,
    time: snapshot.last.time,
    seq: snapshot.last.seq,
    bids: snapshot.book ? snapshot.book.bids.slice(0, depth) : [],
    asks: snapshot.book ? snapshot.book.asks.slice(0, depth) : [],
    tradeSeq: snapshot.trade?.seq ?? null,
    bookSeq: snapshot.book?.seq ?? null,
    bookKnown: snapshot.book !== null && depth > 0,
  };
}
