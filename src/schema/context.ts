import type { MarketFeed } from '../feed/feed.js';
import type { FeedStatusSource } from '../feed/status.js';

export interface Context {
  feed: MarketFeed;
  status: FeedStatusSource;
  limits: { maxSymbols: number };
  /**
   * Subscriptions share one execution only when their visibility keys are equal (src/http/fanout).
   * Set it to whatever changes what a client may see, e.g. its API key's name; unset = public.
   */
  visibilityKey?: string;
}
