/**
 * The event source of a feed subscription (design.md §2), shared by quotes, trades, order books
 * and candles: a Repeater, so `return()` ends it at once even while no event comes; the feed lease
 * is taken lazily when the first event is pulled and given back after stop, exactly once. The
 * outgoing queue is bounded: past `maxQueue` pending items, an item with a `conflateKey` replaces
 * the queued one with the same key (latest value wins); any other item is dropped and counted.
 *
 * With `throttleMs`, each key passes at most once per interval, latest value first
 * (src/stream/keyed-throttle.ts). The source also offers direct delivery
 * (src/stream/shared-streams.ts) for graphql-ws groups, which then never iterate the Repeater:
 * the same items, handed over synchronously.
 */
import { Repeater } from 'graphql-yoga';
import type { SymbolSnapshot } from '../feed/cache.js';
import type { MarketFeed } from '../feed/feed.js';
import { carryReceiveTime, countDropped, observeDelivery } from '../metrics/process-metrics.js';
import { KeyedThrottle } from '../stream/keyed-throttle.js';
import { withDirectSource } from '../stream/shared-streams.js';
import { feedErrorToGraphQL } from './feed-errors.js';

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
  /** marks an item that stands in for replaced ones (e.g. `conflated: true`) */
  markConflated?(item: T): T;
  /** at most one item per conflate key per this many ms (needs `conflateKey`); 0 = every item */
  throttleMs?: number;
  maxQueue?: number;
  /** called with the running drop count of this stream each time it drops an item */
  onDrop?(dropped: number): void;
}

export function feedStream<T extends object>(options: FeedStreamOptions<T>): Repeater<T> {
  const { name, feed, symbols, depth, conflateKey } = options;
  const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
  const mark = (item: T) => {
    const marked = options.markConflated?.(item) ?? item;
    carryReceiveTime(item, marked); // the stand-in keeps the receive time of what it replaced
    return marked;
  };

  /** Takes the lease, starts the extra sources, hands every item to `emit`; returns the release. Throws GraphQL-ready errors. */
  const begin = (emit: (item: T) => void, fail: (error: unknown) => void): (() => void) => {
    const throttle =
      options.throttleMs && conflateKey ? new KeyedThrottle<T>(options.throttleMs, (item, conflated) => emit(conflated ? mark(item) : item)) : null;
    const offer: Offer<T> = throttle ? (item) => throttle.offer(conflateKey!(item), item) : emit;
    let watch;
    try {
      watch = feed.watch(
        symbols,
        depth,
        (snapshot) =>
          options.onUpdate(snapshot, (item) => {
            carryReceiveTime(snapshot.last, item); // for the delivery-latency histogram
            offer(item);
          }),
        // a symbol upstream refuses later ends the stream with an error naming it
        (error) => fail(feedErrorToGraphQL(error)),
      );
    } catch (error) {
      throw feedErrorToGraphQL(error);
    }
    let cleanup: (() => void) | void;
    try {
      cleanup = options.start?.(offer);
    } catch (error) {
      watch.release();
      throw error;
    }
    return () => {
      throttle?.close();
      cleanup?.();
      watch.release();
    };
  };

  const repeater = new Repeater<T>(async (push, stop) => {
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

    const enqueue: Offer<T> = (item) => {
      if (queue.length >= maxQueue) {
        const key = conflateKey?.(item);
        const queued = key === undefined ? -1 : queue.findLastIndex((q) => conflateKey!(q) === key);
        if (queued >= 0) {
          queue[queued] = mark(item);
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

    let release: () => void;
    try {
      release = begin(enqueue, (error) => stop(error));
    } catch (error) {
      stop(error);
      return;
    }
    await stop;
    release();
  });

  return withDirectSource(repeater, (sink) =>
    begin(
      (item) => {
        observeDelivery(name, item);
        sink.next(item);
      },
      (error) => sink.error(error),
    ),
  );
}
