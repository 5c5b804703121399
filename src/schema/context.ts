import type { MarketFeed } from '../feed/feed.js';
import type { SnapshotLoaders } from '../feed/snapshots/snapshot-service.js';
import type { FeedStatusSource } from '../feed/status.js';

export interface Context {
  feed: MarketFeed;
  status: FeedStatusSource;
  limits: { maxSymbols: number };
  /** this request's loaders of AllTick REST data (cold snapshots, candles, static info) */
  loaders: SnapshotLoaders;
}
