/**
 * The event source of one `quotes` subscription: a feed stream (feed-stream.ts) of quotes, one per
 * symbol update, conflated per symbol when the client falls behind or asked for `throttleMs`
 * (such an event says `conflated`). In-band feed status: when the
 * upstream endpoint of some of its symbols goes down or comes back, each of those symbols gets an
 * event with `event: FEED_DOWN` / `FEED_UP` and `stale` set accordingly.
 */
import type { Repeater } from 'graphql-yoga';
import { quoteView, type QuoteView, type SymbolSnapshot } from '../feed/cache.js';
import type { MarketFeed } from '../feed/feed.js';
import type { FeedHealth } from '../feed/health.js';
import { endpointOf } from '../feed/alltick/symbols.js';
import { feedStream } from './feed-stream.js';


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

/** Tick items by snapshot and depth; items are never mutated (conflation marks a copy). */
const ticks = new WeakMap<SymbolSnapshot, Map<number, QuoteItem>>();

export interface QuoteStreamOptions {
  maxQueue?: number;
  /** at most one event per symbol per this many ms; 0 = every update */
  throttleMs?: number;
}

/** A quote of a symbol nothing is known about yet. */
export function emptyQuote(symbol: string): QuoteView {
  return { symbol, price: null, volume: null, time: null, seq: null, bids: [], asks: [] };
}

export function quoteStream(
  feed: MarketFeed,
  symbols: string[],
  depth: number,
  health: FeedHealth | null = null,
  options: QuoteStreamOptions = {},
): Repeater<QuoteItem> {
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
  return feedStream<QuoteItem>({
    name: 'quotes',
    feed,
    symbols,
    depth,
    maxQueue: options.maxQueue,
    throttleMs: options.throttleMs ?? 0,
    conflateKey: (q) => q.symbol,
    markConflated: (q) => ({ ...q, conflated: true }),
    onUpdate: (snapshot, offer) => {
      // depth 0 asked for trades only: book updates change nothing it sees
      if (depth === 0 && snapshot.last.kind === 'depth') return;
      offer(tick(snapshot));
    },
    start: (offer) => {
      for (const symbol of symbols) {
        const snapshot = feed.snapshot(symbol);
        if (snapshot) offer(item(snapshot, 'snapshot'));
      }
      return health?.onChange(({ endpoint, connected }) => {
        for (const symbol of symbols) {
          if (endpointOf(symbol) !== endpoint) continue;
          const snapshot = feed.snapshot(symbol);
          const view = snapshot ? quoteView(snapshot, depth) : emptyQuote(symbol);
          offer({ ...view, depth, stale: !connected, event: connected ? 'feed_up' : 'feed_down' });
        }
      });
    },
  });
}
