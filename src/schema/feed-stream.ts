/**
 * The event source of a feed subscription (design.md §2), shared by quotes, trades, order books
 * and candles: a Repeater, so `return()` ends it at once even while no event comes; the feed lease
 * is taken lazily when the first event is pulled and given back after stop, exactly once. The
 * outgoing queue is bounded: past `maxQueue` pending items, an item with a `conflateKey` replaces
 * the queued one with the same key (latest value wins); any other item is dropped and counted.
 */
import { Repeater } from 'graphql-yoga';
import type { SymbolSnapshot } from '../feed/cache.js';
import type { MarketFeed, Watch } from '../feed/feed.js';
import { feedErrorToGraphQL } from './feed-errors.js';
import { carryReceiveTime, countDropped, observeDelivery } from '../metrics/process-metrics.js';

export const DEFAULT_MAX_QUEUE = 256;

/** Items dropped by full subscriber queues since start, over all streams (for metrics). */
export const streamDrops = { total: 0 };

export type Offer<T> = (item: T) => void;

export interface FeedStreamOptions<T> {
  /** the field name, for metrics (quotes, trades, orderBook, candles) */
  name: string;
  feed: MarketFeed;
  symbols: readonly string[];
  /** order-book levels to lease (0 = trades only) */
  depth: number;
  /** turns a symbol update into items (offer none to skip it) */
  onUpdate(snapshot: SymbolSnapshot, offer: Offer<T>): void;
  /** runs once the lease is held: first items, further sources (status, timers); returns their cleanup */
  start?(offer: Offer<T>): (() => void) | void;
  /** items with the same key may replace each other in a full queue; none: never replaced, dropped when full */
  conflateKey?(item: T): string;
  maxQueue?: number;
  /** called with the running drop count of this stream each time it drops an item */
  onDrop?(dropped: number): void;
}

export function feedStream<T extends object>(options: FeedStreamOptions<T>): Repeater<T> {
  const { name, feed, symbols, depth, conflateKey } = options;
  const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
  return new Repeater<T>(async (push, stop) => {
    const queue: T[] = [];
    let draining = false;
    let dropped = 0;

    const drain = async () => {
      if (draining) return;
      draining = true;
      while (queue.length > 0) {
        const item = queue.shift() as T;
        observeDelivery(name, item);
        await push(item);
      }
      draining = false;
    };

    const offer: Offer<T> = (item) => {
      if (queue.length >= maxQueue) {
        const key = conflateKey?.(item);
        const queued = key === undefined ? -1 : queue.findLastIndex((q) => conflateKey!(q) === key);
        if (queued >= 0) {
          queue[queued] = item;
          countDropped(name, 'conflated');
        } else if (key !== undefined) queue.push(item); // at most one extra per key
        else {
          dropped++;
          streamDrops.total++;
          countDropped(name, 'queue-full');
          options.onDrop?.(dropped);
          return;
        }
      } else queue.push(item);
      void drain();
    };

    let watch: Watch;
    try {
      // live items carry the event's receive time, for the delivery-latency histogram
      watch = feed.watch(
        symbols,
        depth,
        (snapshot) =>
          options.onUpdate(snapshot, (item) => {
            carryReceiveTime(snapshot.last, item);
            offer(item);
          }),
        // a symbol upstream refuses later ends the stream with an error naming it
        (error) => stop(feedErrorToGraphQL(error)),
      );
    } catch (error) {
      stop(feedErrorToGraphQL(error));
      return;
    }
    let cleanup: (() => void) | void;
    try {
      cleanup = options.start?.(offer);
    } catch (error) {
      watch.release();
      stop(error);
      return;
    }
    await stop;
    cleanup?.();
    watch.release();
  });
}
