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
 * the same items, handed over synchronously; a directly delivering stream with a `lane` and no
 * throttle hands each symbol over to its lane (feed-lane.ts) once the symbol's first event is out.
 */
import { Repeater } from 'graphql-yoga';
import type { SymbolSnapshot } from '../feed/cache.js';
import type { MarketFeed, Watch } from '../feed/feed.js';
import type { DeliveryMetrics } from '../metrics/delivery-metrics.js';
import { KeyedThrottle } from '../stream/keyed-throttle.js';
import { withDirectSource } from '../stream/shared-streams.js';
import { feedErrorToGraphQL } from './feed-errors.js';
import { joinLane, type LaneSpec } from './feed-lane.js';

export const DEFAULT_MAX_QUEUE = 256;

export type Offer<T> = (item: T) => void;
/** An item with the receive time of the upstream event it came from (performance.now()). */
type Timed<T> = { item: T; at: number | undefined };
type Emit<T> = (item: T, at: number | undefined) => void;

export interface FeedStreamOptions<T> {
  /** the field name, for metrics (quotes, trades, orderBook, candles) */
  name: string;
  feed: MarketFeed;
  /** where drops and delivery latency are counted (the server's) */
  metrics: DeliveryMetrics;
  symbols: readonly string[];
  /** order-book levels to lease (0 = trades only) */
  depth: number;
  /** turns a symbol update into items (offer none to skip it) */
  onUpdate(snapshot: SymbolSnapshot, offer: Offer<T>): void;
  /**
   * runs once the lease is held: first items, further sources (status, timers); returns their
   * cleanup. `fresh`: the symbols upstream did not stream before (their cached values are old).
   */
  start?(offer: Offer<T>, fresh: readonly string[]): (() => void) | void;
  /** items with the same key may replace each other in a full queue; none: never replaced, dropped when full */
  conflateKey?(item: T): string;
  /** marks an item that stands in for replaced ones (e.g. `conflated: true`) */
  markConflated?(item: T): T;
  /** at most one item per conflate key per this many ms (needs `conflateKey`); 0 = every item */
  throttleMs?: number;
  maxQueue?: number;
  /** called with the running drop count of this stream each time it drops an item */
  onDrop?(dropped: number): void;
  /**
   * Direct delivery without `throttleMs`: once `settled(symbol)` (the symbol's first event went
   * out), the symbol's updates come from a lane shared with the streams of equal owner and key
   * (feed-lane.ts), which makes each update's item once for all of them.
   */
  lane?: LaneSpec<T> & { settled(symbol: string): boolean };
}

export function feedStream<T extends object>(options: FeedStreamOptions<T>): Repeater<T> {
  const { name, feed, metrics, symbols, depth, conflateKey } = options;
  const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
  const mark = (item: T) => options.markConflated?.(item) ?? item;

  /**
   * Takes the lease, starts the extra sources, hands every item to `emit` with the receive time of
   * the upstream event it came from (for the delivery-latency histogram); returns the release.
   * Throws GraphQL-ready errors.
   */
  const begin = (emit: Emit<T>, fail: (error: unknown) => void, direct?: (item: T) => void): (() => void) => {
    const throttle =
      options.throttleMs && conflateKey
        ? new KeyedThrottle<Timed<T>>(options.throttleMs, ({ item, at }, conflated) => emit(conflated ? mark(item) : item, at))
        : null;
    const offer: Emit<T> = throttle ? (item, at) => throttle.offer(conflateKey!(item), { item, at }) : emit;
    // the receive time of the update being handled: one offer function, not a closure per update
    let updateAt: number | undefined;
    const offerUpdate: Offer<T> = (item) => offer(item, updateAt);
    const lane = direct && !throttle ? options.lane : undefined;
    /** symbols handed over to their lane, and how to leave those lanes */
    const inLane = new Set<string>();
    const leaveLanes: (() => void)[] = [];
    let ended = false;
    let watch: Watch;
    /** After the listener call that settled it (never inside one: the lane would see that update too), the lane takes the symbol. */
    const handOver = (symbol: string) => {
      if (!lane || inLane.has(symbol) || !lane.settled(symbol)) return;
      inLane.add(symbol);
      queueMicrotask(() => {
        if (ended) return;
        // the lane listens first: dropping the last listener of a symbol would stop following it (Redis bus) and start again
        leaveLanes.push(joinLane(feed, name, metrics, lane, symbol, direct!));
        watch.mute(symbol);
      });
    };
    try {
      watch = feed.watch(
        symbols,
        depth,
        (snapshot) => {
          updateAt = snapshot.receivedAt;
          options.onUpdate(snapshot, offerUpdate);
          handOver(snapshot.symbol);
        },
        // a symbol upstream refuses later ends the stream with an error naming it
        (error) => fail(feedErrorToGraphQL(error)),
      );
    } catch (error) {
      throw feedErrorToGraphQL(error);
    }
    let cleanup: (() => void) | void;
    try {
      cleanup = options.start?.((item) => offer(item, undefined), watch.fresh);
    } catch (error) {
      watch.release();
      throw error;
    }
    return () => {
      ended = true;
      for (const leave of leaveLanes) leave();
      throttle?.close();
      cleanup?.();
      watch.release();
    };
  };

  const repeater = new Repeater<T>(async (push, stop) => {
    const queue: Timed<T>[] = [];
    let draining = false;
    let dropped = 0;

    const drain = async () => {
      if (draining) return;
      draining = true;
      while (queue.length > 0) {
        const { item, at } = queue.shift() as Timed<T>;
        metrics.observeDelivery(name, at);
        await push(item);
      }
      draining = false;
    };

    const enqueue: Emit<T> = (item, at) => {
      if (queue.length >= maxQueue) {
        const key = conflateKey?.(item);
        const queued = key === undefined ? -1 : queue.findLastIndex((q) => conflateKey!(q.item) === key);
        if (queued >= 0) {
          // the stand-in keeps the receive time of the oldest update it replaces
          queue[queued] = { item: mark(item), at: queue[queued]!.at ?? at };
          metrics.countDropped(name, 'conflated');
        } else if (key !== undefined)
          queue.push({ item, at }); // at most one extra per key
        else {
          dropped++;
          metrics.countDropped(name, 'queue-full');
          options.onDrop?.(dropped);
          return;
        }
      } else queue.push({ item, at });
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
      (item, at) => {
        metrics.observeDelivery(name, at);
        sink.next(item);
      },
      (error) => sink.error(error),
      (item) => sink.next(item),
    ),
  );
}
