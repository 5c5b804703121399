import type { MarketFeed } from '../feed/feed.js';
import type { SnapshotLoaders } from '../feed/snapshots/snapshot-service.js';
import type { FeedStatusSource } from '../feed/status.js';
import type { ClientIdentity } from '../http/client-guards.js';
import type { SseTrail } from '../http/sse-resume.js';

export interface Context {
  feed: MarketFeed;
  status: FeedStatusSource;
  limits: { maxSymbols: number };
  /** this request's loaders of AllTick REST data (cold snapshots, candles, static info) */
  loaders: SnapshotLoaders;
  /** who is asking: address, API key name, limits, allowed markets */
  client: ClientIdentity;
  /** equal for clients that may share results (same allowed markets); see ClientIdentity */
  visibilityKey: string;
  /** SSE requests: the Last-Event-ID to resume from and the stream cursor sent as `id:` */
  sse?: SseTrail;
}
