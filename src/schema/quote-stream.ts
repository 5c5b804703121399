/**
 * The event source of one `quotes` subscription (design.md §2): a Repeater, so `return()` ends it
 * at once even while no event comes; the feed lease is taken lazily when the first event is pulled
 * and given back after stop. The outgoing queue is bounded: past `maxQueue` pending events a new
 * update replaces the queued one of the same symbol (latest value wins) instead of growing.
 * With `throttleMs`, each symbol passes at most once per interval, latest value first
 * (src/stream/keyed-throttle.ts). An event that stands in for skipped updates says so
 * (`conflated`).
 *
 * The Repeater also offers direct delivery (src/stream/shared-streams.ts) for graphql-ws groups,
 * which then never iterate it: same events, handed over synchronously.
 */
import { Repeater } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import { quoteView, type QuoteView, type SymbolSnapshot } from '../feed/cache.js';
import type { MarketFeed } from '../feed/feed.js';
import { CapacityError } from '../feed/manager.js';
import { KeyedThrottle } from '../stream/keyed-throttle.js';
import { withDirectSource } from '../stream/shared-streams.js';

export const DEFAULT_MAX_QUEUE = 256;

/** The cache snapshot a quote event was made from: equal snapshots and depth render equally. */
export const QUOTE_SOURCE = Symbol('quote.source');

export interface QuoteEvent extends QuoteView {
  /** updates of this symbol were skipped before this one (throttleMs, or a slow client) */
  conflated?: boolean;
  [QUOTE_SOURCE]?: SymbolSnapshot;
}

export interface QuoteStreamOptions {
  maxQueue?: number;
  /** at most one event per symbol per this many ms; 0 = every update */
  throttleMs?: number;
}

export function quoteStream(feed: MarketFeed, symbols: string[], depth: number, options: QuoteStreamOptions = {}): Repeater<QuoteEvent> {
  const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;

  /** Takes the lease and hands over the cached state, then every update; returns the release. */
  const start = (emit: (quote: QuoteEvent) => void): (() => void) => {
    const throttle = new KeyedThrottle<QuoteEvent>(options.throttleMs ?? 0, (quote, conflated) => {
      if (conflated) quote.conflated = true;
      emit(quote);
    });
    const offer = (snapshot: SymbolSnapshot) => {
      // depth 0 asked for trades only: book updates change nothing it sees
      if (depth === 0 && snapshot.last.kind === 'depth') return;
      const quote: QuoteEvent = quoteView(snapshot, depth);
      quote[QUOTE_SOURCE] = snapshot;
      throttle.offer(quote.symbol, quote);
    };
    let watch;
    try {
      watch = feed.watch(symbols, depth, offer);
    } catch (error) {
      throw error instanceof CapacityError ? new GraphQLError(error.message, { extensions: { code: 'UPSTREAM_CAPACITY' } }) : error;
    }
    for (const symbol of symbols) {
      const snapshot = feed.snapshot(symbol);
      if (snapshot) offer(snapshot);
    }
    return () => {
      throttle.close();
      watch.release();
    };
  };

  const repeater = new Repeater<QuoteEvent>(async (push, stop) => {
    const queue: QuoteEvent[] = [];
    let draining = false;

    const drain = async () => {
      if (draining) return;
      draining = true;
      while (queue.length > 0) await push(queue.shift() as QuoteEvent);
      draining = false;
    };

    const enqueue = (quote: QuoteEvent) => {
      const queued = queue.length >= maxQueue ? queue.findLastIndex((q) => q.symbol === quote.symbol) : -1;
      if (queued >= 0) {
        quote.conflated = true;
        queue[queued] = quote;
      } else queue.push(quote);
      void drain();
    };

    let release;
    try {
      release = start(enqueue);
    } catch (error) {
      stop(error);
      return;
    }
    await stop;
    release();
  });
  return withDirectSource(repeater, (sink) => start((quote) => sink.next(quote)));
}
