import type { MarketFeed } from '../feed/feed.js';
import type { FeedStatusSource } from '../feed/status.js';

export interface Context {
  feed: MarketFeed;
  status: FeedStatusSource;
  limits: { maxSymbols: number };
}
