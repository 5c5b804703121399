import type { MarketFeed } from '../feed/feed.js';
import type { FeedManager } from '../feed/manager.js';
import type { FeedStatusSource } from '../feed/status.js';
import type { AllTickUpstream } from '../feed/upstream.js';

/**
 * What either topology (src/app/single-instance.ts, src/app/cluster-topology.ts) hands the
 * composition root: the feed the schema reads, and how to stop it. The root (start-feed.ts) owns
 * what both share: the upstream's address and token, the REST client, the simulator.
 */
export interface Topology {
  feed: MarketFeed;
  manager: FeedManager;
  /** this instance's upstream (in cluster mode it connects only while this instance owns the lease) */
  upstream: AllTickUpstream;
  /** feed status for clients: the local upstream, or in cluster mode the owner's (through Redis) */
  status: FeedStatusSource;
  /** the REST client's health changed (shown in feedStatus.rest) */
  restChanged(): void;
  /** true when the upstream is connected */
  ready(): boolean;
  /** Withdraws this instance's demand and closes its upstream connections, in that order. */
  stop(): Promise<void>;
}
