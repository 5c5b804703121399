/**
 * The event source of one `quotes` subscription (design.md §2): a Repeater, so `return()` ends it
 * at once even while no event comes; the feed lease is taken lazily when the first event is pulled
 * and given back after stop. The outgoing queue is bounded: past `maxQueue` pending events a new
 * update replaces the queued one of the same symbol (latest value wins) instead of growing.
 */
import { Repeater } from 'graphql-yoga';
import { quoteView, type QuoteView, type SymbolSnapshot } from '../feed/cache.js';
import type { MarketFeed } from '../feed/feed.js';
import { feedErrorToGraphQL } from './feed-errors.js';

export const DEFAULT_MAX_QUEUE = 256;

export function quoteStream(feed: MarketFeed, symbols: string[], depth: number, maxQueue = DEFAULT_MAX_QUEUE): Repeater<QuoteView> {
  return new Repeater<QuoteView>(async (push, stop) => {
    const queue: QuoteView[] = [];
    let draining = false;

    const drain = async () => {
      if (draining) return;
      draining = true;
      while (queue.length > 0) await push(queue.shift() as QuoteView);
      draining = false;
    };

    const offer = (snapshot: SymbolSnapshot) => {
      // depth 0 asked for trades only: book updates change nothing it sees
      if (depth === 0 && snapshot.last.kind === 'depth') return;
      const quote = quoteView(snapshot, depth);
      const queued = queue.length >= maxQueue ? queue.findLastIndex((q) => q.symbol === quote.symbol) : -1;
      if (queued >= 0) queue[queued] = quote;
      else queue.push(quote);
      void drain();
    };

    let watch;
    try {
      // a symbol upstream refuses later ends the stream with an error naming it
      watch = feed.watch(symbols, depth, offer, (error) => stop(feedErrorToGraphQL(error)));
    } catch (error) {
      stop(feedErrorToGraphQL(error));
      return;
    }
    for (const symbol of symbols) {
      const snapshot = feed.snapshot(symbol);
      if (snapshot) offer(snapshot);
    }
    await stop;
    watch.release();
  });
}
