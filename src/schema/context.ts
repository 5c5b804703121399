/**
 * What every resolver gets: the feed and its status, this request's REST loaders, who is asking
 * (built by the HTTP side, src/http/yoga.ts) and, over SSE, the stream's resume trail.
 */
import type { MarketFeed } from '../feed/feed.js';
import type { Cursor } from '../feed/history/cursor.js';
import type { SnapshotLoaders } from '../feed/snapshots/snapshot-service.js';
import type { FeedStatusSource } from '../feed/status.js';
import type { ClientIdentity } from '../clients/identity.js';
import type { DeliveryMetrics } from '../metrics/delivery-metrics.js';

export interface Context {
  feed: MarketFeed;
  status: FeedStatusSource;
  /** this server's drop, eviction and latency counts, fed by the streams */
  delivery: DeliveryMetrics;
  limits: { maxSymbols: number };
  /** this request's loaders of AllTick REST data (cold snapshots, candles, static info) */
  loaders: SnapshotLoaders;
  /** who is asking: address, API key name, limits, allowed markets */
  client: ClientIdentity;
  /** equal for clients that may share results (same allowed markets); see ClientIdentity */
  visibilityKey: string;
  /** SSE requests: the Last-Event-ID to resume from and the stream cursor sent as `id:` */
  sse?: StreamTrail;
}

/**
 * What a streamed field needs of an SSE request (`SseTrail` in src/http/sse-resume.ts, declared
 * here so the schema does not import the transport): the cursors of its `Last-Event-ID`, and a
 * wrapper that moves its stream cursor on as events are sent.
 */
export interface StreamTrail {
  readonly resumeFrom: Cursor[];
  track<T>(source: AsyncIterable<T>, from: readonly Cursor[], cursorOf: (item: T) => Cursor | null): AsyncIterable<T>;
}
