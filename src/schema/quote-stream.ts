/**
 * The event source of one `quotes` subscription: a feed stream (feed-stream.ts) of quotes, one per
 * symbol update, conflated per symbol when the client falls behind or asked for `throttleMs`
 * (such an event says `conflated`). The first event of each symbol is a SNAPSHOT, whatever brought
 * it: the cache at start, the REST read of a cold symbol (`prime`), or a replay from Redis. In-band
 * feed status: when the upstream endpoint of some of its symbols goes down or comes back (its
 * lists acknowledged again), each of those symbols gets an event with `event: FEED_DOWN` /
 * `FEED_UP`, `stale` set accordingly and `seq: null`: a status event is no tick, and a client
 * never sees a seq twice.
 */
import type { Repeater } from 'graphql-yoga';
import { quoteView, type QuoteView, type SymbolSnapshot } from '../feed/cache.js';
import type { MarketFeed } from '../feed/feed.js';
import type { FeedHealth } from '../feed/health.js';
import { endpointOf } from '../feed/alltick/symbols.js';
import { feedStream } from './feed-stream.js';
import type { Cursor } from '../feed/history/cursor.js';
import type { SharedStreamSpec } from '../stream/shared-streams.js';
import type { DeliveryMetrics } from '../metrics/delivery-metrics.js';

/** Why a quote event was sent. */
export type QuoteEventKind = 'snapshot' | 'tick' | 'feed_down' | 'feed_up';

/** The cache snapshot a quote was made from: equal snapshots and depth render equally (fan-out sharing). */
export const QUOTE_SOURCE = Symbol('quote.source');

export interface QuoteItem extends QuoteView {
  /** true while the upstream connection of the symbol's endpoint is down (the values may be old) */
  stale: boolean;
  event: QuoteEventKind;
  /** the depth the client asked for (part of the quote's `id`) */
  depth: number;
  /** updates of this symbol were skipped before this one (throttleMs, or a slow client) */
  conflated?: boolean;
  [QUOTE_SOURCE]?: SymbolSnapshot;
}

/**
 * The stream contract of `quotes` (src/stream/shared-streams.ts), declared on the field and used by
 * this stream too: graphql-ws subscribers of equal operations share one execution; a slow client
 * or `throttleMs` gets the latest quote per symbol, marked `conflated`.
 */
export const QUOTES_STREAM: SharedStreamSpec<QuoteItem> = {
  setArgs: ['symbols'],
  privateArgs: ['after'],
  keyOf: (quote) => quote.symbol,
  replayLatest: true,
  // a joiner's first event of each symbol is a SNAPSHOT of it (a status event's seq is the symbol's, new to the joiner)
  asSnapshot: (quote) => ({ ...quote, event: 'snapshot', conflated: false, seq: quote[QUOTE_SOURCE]?.last.seq ?? quote.seq }),
  conflate: { mark: (quote, conflated) => ({ ...quote, conflated }), isMarked: (quote) => quote.conflated === true },
  // only plain ticks render the same for every group; snapshots and in-band status events say more
  stampOf: (quote) => (quote.conflated || quote.event !== 'tick' ? undefined : quote[QUOTE_SOURCE]),
};

/** Tick items by snapshot and depth; items are never mutated (conflation marks a copy). */
const ticks = new WeakMap<SymbolSnapshot, Map<number, QuoteItem>>();

export interface QuoteStreamOptions {
  /** where drops and delivery latency are counted (the server's) */
  metrics: DeliveryMetrics;
  maxQueue?: number;
  /** at most one event per symbol per this many ms; 0 = every update */
  throttleMs?: number;
  /** resuming: per symbol, the cursor of the state the client has; a symbol still in that state gets no SNAPSHOT */
  resumeFrom?: ReadonlyMap<string, QuoteCursor>;
  /**
   * Fetches the current state of symbols the server has no live value for (REST) into the feed,
   * whose update then reaches this stream as the symbol's SNAPSHOT; `book`: the order book too.
   * Resolves when done (a failure only means the first data comes from upstream).
   */
  prime?: (symbols: string[], book: boolean) => Promise<void>;
}

type QuoteCursor = Extract<Cursor, { kind: 'quote' }>;

/** The cursor of a quote: the state it shows (last trade, last book, staleness). */
export function quoteCursor(q: Pick<QuoteItem, 'symbol' | 'tradeSeq' | 'bookSeq' | 'stale'>): QuoteCursor {
  return { kind: 'quote', symbol: q.symbol, trade: q.tradeSeq ?? '', book: q.bookSeq ?? '', stale: q.stale };
}

const sameState = (a: QuoteCursor, b: QuoteCursor) => a.trade === b.trade && a.book === b.book && a.stale === b.stale;

/** A quote of a symbol nothing is known about yet. */
export function emptyQuote(symbol: string): QuoteView {
  return { symbol, price: null, volume: null, time: null, seq: null, bids: [], asks: [], bookKnown: false, tradeSeq: null, bookSeq: null };
}

/** The symbols whose trade (or book, when `book`) the feed does not know yet. */
export function coldSymbols(feed: MarketFeed, symbols: readonly string[], book: boolean): string[] {
  return symbols.filter((symbol) => {
    const snapshot = feed.snapshot(symbol);
    return !snapshot?.trade || (book && !snapshot.book);
  });
}

export function quoteStream(feed: MarketFeed, symbols: string[], depth: number, health: FeedHealth | null, options: QuoteStreamOptions): Repeater<QuoteItem> {
  const stale = (symbol: string) => health?.isStale(symbol) ?? false;
  const item = (snapshot: SymbolSnapshot, event: QuoteEventKind): QuoteItem => ({
    ...quoteView(snapshot, depth),
    depth,
    stale: stale(snapshot.symbol),
    event,
    [QUOTE_SOURCE]: snapshot,
  });
  /** Every stream of this depth gets the same tick object for one snapshot: built once, not once per subscriber. */
  const tick = (snapshot: SymbolSnapshot): QuoteItem => {
    const isStale = stale(snapshot.symbol);
    let byDepth = ticks.get(snapshot);
    if (!byDepth) ticks.set(snapshot, (byDepth = new Map<number, QuoteItem>()));
    const cached = byDepth.get(depth);
    if (cached && cached.stale === isStale) return cached;
    const fresh = item(snapshot, 'tick');
    byDepth.set(depth, fresh);
    return fresh;
  };
  /** depth 0 asked for trades only: book updates change nothing it sees */
  const seen = (snapshot: SymbolSnapshot) => depth > 0 || snapshot.last.kind !== 'depth';
  /** symbols this stream has sent an event of: the first one of each is a SNAPSHOT */
  const announced = new Set<string>();
  /** The first event of a symbol: its state as a SNAPSHOT, unless a resumed client already has that state. */
  const offerFirst = (snapshot: SymbolSnapshot, offer: (q: QuoteItem) => void) => {
    announced.add(snapshot.symbol);
    const state = item(snapshot, 'snapshot');
    const known = options.resumeFrom?.get(snapshot.symbol);
    if (!known || !sameState(known, quoteCursor(state))) offer(state);
  };
  return feedStream<QuoteItem>({
    name: 'quotes',
    feed,
    metrics: options.metrics,
    symbols,
    depth,
    maxQueue: options.maxQueue,
    throttleMs: options.throttleMs ?? 0,
    conflateKey: QUOTES_STREAM.keyOf,
    markConflated: (q) => QUOTES_STREAM.conflate!.mark(q, true),
    onUpdate: (snapshot, offer) => {
      if (!seen(snapshot)) return;
      if (announced.has(snapshot.symbol)) return offer(tick(snapshot));
      offerFirst(snapshot, offer);
    },
    // after its first event, every update of a symbol is the same tick in every stream of this depth and health
    lane: {
      owner: health ?? feed,
      key: String(depth),
      item: (snapshot) => (seen(snapshot) ? tick(snapshot) : undefined),
      settled: (symbol) => announced.has(symbol),
    },
    start: (offer, fresh) => {
      // a symbol upstream did not stream has no live value: its cached one is old, REST has the current one
      const cold = new Set([...coldSymbols(feed, symbols, depth > 0), ...(options.prime ? fresh : [])]);
      for (const symbol of symbols) {
        const snapshot = feed.snapshot(symbol);
        if (!snapshot || (fresh.includes(symbol) && cold.has(symbol))) continue;
        offerFirst(snapshot, offer);
      }
      let ended = false;
      if (cold.size > 0) {
        void options.prime?.([...cold], depth > 0).then(() => {
          // REST had nothing newer than the cache (no update went out): the cached value is the current one
          for (const symbol of cold) {
            const snapshot = feed.snapshot(symbol);
            if (ended || announced.has(symbol) || !snapshot) continue;
            offerFirst(snapshot, offer);
          }
        });
      }
      const stopHealth = health?.onChange(({ endpoint, connected }) => {
        for (const symbol of symbols) {
          // a symbol not sent yet gets its SNAPSHOT first, which carries `stale` too
          if (endpointOf(symbol) !== endpoint || !announced.has(symbol)) continue;
          const snapshot = feed.snapshot(symbol);
          const view = snapshot ? quoteView(snapshot, depth) : emptyQuote(symbol);
          offer({ ...view, depth, seq: null, stale: !connected, event: connected ? 'feed_up' : 'feed_down', ...(snapshot && { [QUOTE_SOURCE]: snapshot }) });
        }
      });
      return () => {
        ended = true;
        stopHealth?.();
      };
    },
  });
}
