import type { MarketFeed } from '../feed/feed.js';

export interface Context {
  feed: MarketFeed;
  limits: { maxSymbols: number };
}
