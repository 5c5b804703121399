/**
 * Lanes: one bus listener per symbol for every directly delivering feed stream (feed-stream.ts)
 * that makes the same item of each update of that symbol. Once a stream has sent a symbol's
 * first event (a SNAPSHOT), each later update of it becomes the same item in every stream of one
 * kind (quotes at one depth: the same tick object): the stream then hands the symbol over to the
 * lane and stops listening to it itself. An update then costs one listener call and one item for
 * all of them, and a plain loop over their sinks, instead of a listener, a closure chain and a
 * lookup per stream (1,000 subscriptions of 5 symbols each: 1,000 calls per update before).
 *
 * A stream keeps its lease on the symbol (its watch); the lane only listens.
 */
import type { SymbolSnapshot } from '../feed/cache.js';
import type { MarketFeed } from '../feed/feed.js';
import type { DeliveryMetrics } from '../metrics/delivery-metrics.js';

/** What streams of one lane share: which lane, and the item an update becomes (none: not sent). */
export interface LaneSpec<T> {
  /** streams with equal owners and keys make equal items of an update (e.g. quotes at depth 1 with one feed health) */
  owner: object;
  key: string;
  item(snapshot: SymbolSnapshot): T | undefined;
}

type Sink<T> = (item: T) => void;

/** The streams of one lane on one symbol, and the one listener that feeds them. */
class LaneSymbol<T> {
  readonly sinks = new Set<Sink<T>>();
  stop: () => void = () => {};

  constructor(
    private readonly name: string,
    private readonly spec: LaneSpec<T>,
    private readonly metrics: DeliveryMetrics,
  ) {}

  readonly onUpdate = (snapshot: SymbolSnapshot): void => {
    const item = this.spec.item(snapshot);
    if (item === undefined) return;
    this.metrics.observeDelivery(this.name, snapshot.receivedAt);
    for (const sink of this.sinks) sink(item);
  };
}

/** Per feed and lane owner: the live lane symbols, by lane key and symbol. */
const lanes = new WeakMap<MarketFeed, WeakMap<object, Map<string, LaneSymbol<unknown>>>>();

/**
 * Adds `sink` to the lane of `symbol`; returns the function that takes it out again (the last one
 * out stops the lane's listener). `name` is the stream's name for the delivery-latency metric, kept
 * in `metrics` (the server's, as the feed is).
 */
export function joinLane<T>(feed: MarketFeed, name: string, metrics: DeliveryMetrics, spec: LaneSpec<T>, symbol: string, sink: Sink<T>): () => void {
  let byOwner = lanes.get(feed);
  if (!byOwner) lanes.set(feed, (byOwner = new WeakMap()));
  let byKey = byOwner.get(spec.owner);
  if (!byKey) byOwner.set(spec.owner, (byKey = new Map<string, LaneSymbol<unknown>>()));
  const id = `${name}\n${spec.key}\n${symbol}`;
  let lane = byKey.get(id) as LaneSymbol<T> | undefined;
  if (!lane) {
    const created = new LaneSymbol<T>(name, spec, metrics);
    created.stop = feed.listen(symbol, created.onUpdate);
    byKey.set(id, created as LaneSymbol<unknown>);
    lane = created;
  }
  const joined = lane;
  joined.sinks.add(sink);
  return () => {
    if (!joined.sinks.delete(sink) || joined.sinks.size > 0) return;
    joined.stop();
    if (byKey.get(id) === joined) byKey.delete(id);
  };
}
