/**
 * The event source of one `quotes` subscription (design.md §2): a Repeater, so `return()` ends it
 * at once even while no event comes; the feed lease is taken lazily when the first event is pulled
 * and given back after stop. The outgoing queue is bounded: past `maxQueue` pending events a new
 * update replaces the queued one of the same symbol (latest value wins) instead of growing.
 */
import { Repeater } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import { quoteView, type QuoteView, type SymbolSnapshot } from '../feed/cache.js';
import type { MarketFeed } from '../feed/feed.js';
import { CapacityError } from '../feed/manager.js';
import { carryReceiveTime, countDropped, observeDelivery } from '../metrics/process-metrics.js';

export const DEFAULT_MAX_QUEUE = 256;

export function quoteStream(feed: MarketFeed, symbols: string[], depth: number, maxQueue = DEFAULT_MAX_QUEUE): Repeater<QuoteView> {
  return new Repeater<QuoteView>(async (push, stop) => {
    const queue: QuoteView[] = [];
    let draining = false;

    const drain = async () => {
      if (draining) return;
      draining = true;
      while (queue.length > 0) {
        const quote = queue.shift() as QuoteView;
        observeDelivery('quotes', quote);
        await push(quote);
      }
      draining = false;
    };

    const offer = (snapshot: SymbolSnapshot, live = true) => {
      // depth 0 asked for trades only: book updates change nothing it sees
      if (depth === 0 && snapshot.last.kind === 'depth') return;
      const quote = quoteView(snapshot, depth);
      if (live) carryReceiveTime(snapshot.last, quote); // for the delivery-latency histogram
      const queued = queue.length >= maxQueue ? queue.findLastIndex((q) => q.symbol === quote.symbol) : -1;
      if (queued >= 0) {
        queue[queued] = quote;
        countDropped('quotes', 'conflated');
      } else queue.push(quote);
      void drain();
    };

    let watch;
    try {
      watch = feed.watch(symbols, depth, (snapshot) => offer(snapshot));
    } catch (error) {
      stop(error instanceof CapacityError ? new GraphQLError(error.message, { extensions: { code: 'UPSTREAM_CAPACITY' } }) : error);
      return;
    }
    for (const symbol of symbols) {
      const snapshot = feed.snapshot(symbol);
      if (snapshot) offer(snapshot, false);
    }
    await stop;
    watch.release();
  });
}
