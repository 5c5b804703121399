/**
 * Cluster mode (REDIS_URL set), wired: every instance keeps its own feed manager (ref counts,
 * linger) whose lists become its demand in Redis; one instance at a time holds the lease and runs
 * the AllTick upstream for the union of all demand; every instance, the owner included, receives
 * events from Redis into its local MarketFeed and fans them out to its own clients.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { tickTimeWindowOf, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import { markReceived } from '../metrics/process-metrics.js';
import { RedisBus } from '../bus/redis.js';
import { PLANS } from '../feed/alltick/plans.js';
import { MarketFeed } from '../feed/feed.js';
import { FeedManager, SymbolRejectedError } from '../feed/manager.js';
import type { RestStatus } from '../feed/alltick/rest.js';
import { AllTickUpstream, type UpstreamOptions } from '../feed/upstream.js';
import type { FeedStatusSource } from '../feed/status.js';
import type { Simulator } from '../simulator/server.js';
import { ClusterStatus } from './cluster-status.js';
import { DEFAULT_DEMAND_TIMINGS, DemandPublisher, type DemandTimings } from './demand.js';
import { clusterKeys } from './keys.js';
import { DEFAULT_LEASE_TIMINGS, OwnerLease, type LeaseTimings } from './lease.js';
import { UpstreamOwner } from './owner.js';
import { RedisLink } from './redis-link.js';
import { eventsOf, SharedCache } from './shared-cache.js';
import { decodeJson, rejectionSchema } from './wire.js';

export interface ClusterTimings {
  lease: LeaseTimings;
  demand: DemandTimings;
  /** how often the owner re-reads the demand without a notice (bounds how late a dead instance's demand leaves) */
  reconcileMs: number;
}

export const DEFAULT_CLUSTER_TIMINGS: ClusterTimings = { lease: DEFAULT_LEASE_TIMINGS, demand: DEFAULT_DEMAND_TIMINGS, reconcileMs: 2000 };

export interface ClusterFeedOptions {
  config: Config;
  redisUrl: string;
  logger: Logger;
  wsBaseUrl: string;
  token: string;
  simulator: Simulator | null;
  /** this instance's AllTick REST client (its health shows in feedStatus.rest) */
  rest: { status(): RestStatus };
  timings?: UpstreamOptions['timings'];
  cluster?: ClusterTimings;
  settleMs: number;
}

export interface ClusterFeed {
  feed: MarketFeed;
  manager: FeedManager;
  upstream: AllTickUpstream;
  status: FeedStatusSource;
  instanceId: string;
  /** true while this instance holds the upstream lease */
  isOwner(): boolean;
  /** the REST client's status changed */
  restChanged(): void;
  ready(): boolean;
  stop(): Promise<void>;
}

export function startClusterFeed(options: ClusterFeedOptions): ClusterFeed {
  const { config, wsBaseUrl, token, timings, settleMs } = options;
  const cluster = options.cluster ?? DEFAULT_CLUSTER_TIMINGS;
  const instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const logger = options.logger.child({ instance: instanceId });
  const keys = clusterKeys(config.REDIS_PREFIX);
  const link = new RedisLink(options.redisUrl, logger);
  const shared = new SharedCache(link.cmd, keys);

  // events of a symbol this instance starts following: first what Redis already has
  const catchUp = (symbols: string[]) => {
    if (symbols.length === 0 || !link.attached) return;
    shared.read(symbols).then(
      (snapshots) => {
        for (const snapshot of snapshots) {
          if (snapshot && bus.follows(snapshot.symbol)) for (const event of eventsOf(snapshot)) feed.ingest(event);
        }
      },
      (error: unknown) => logger.debug({ err: String(error) }, 'catch-up read failed'),
    );
  };
  const bus: RedisBus = new RedisBus({
    link,
    keys,
    logger,
    onEvent: (event) => {
      markReceived(event); // delivery latency counts from here on instances fed by Redis
      feed.ingest(event);
    },
    onFollow: (symbol) => catchUp([symbol]),
    onUnfollow: (symbol) => feed.cache.delete(symbol),
  });

  const plan = PLANS[config.ALLTICK_PLAN];
  const upstream = new AllTickUpstream({ wsBaseUrl, token, plan, logger, tickTimeWindow: tickTimeWindowOf(config), ...(timings && { timings }) });
  upstream.on('status', (s) =>
    logger.info({ endpoint: s.endpoint, index: s.index, state: s.state, reason: s.reason, resubscribed: s.resubscribed }, 'upstream status'),
  );
  const demand = new DemandPublisher(link, keys, instanceId, cluster.demand, logger);
  const manager = new FeedManager({ sink: demand, lingerMs: config.LINGER_MS, capacity: upstream.capacity });
  const feed: MarketFeed = new MarketFeed(manager, bus, { follows: (s) => bus.follows(s), read: (s) => shared.read(s) });

  const lease = new OwnerLease(link, keys, instanceId, cluster.lease, logger);
  const owner = new UpstreamOwner({
    link,
    keys,
    lease,
    upstream,
    cache: shared,
    logger,
    reconnectGapMs: timings?.reconnectGapMs ?? plan.reconnectGapMs,
    reconcileMs: cluster.reconcileMs,
    statusHeartbeatMs: cluster.lease.renewMs,
    statusTtlMs: cluster.lease.ttlMs,
    settleMs,
  });
  const status = new ClusterStatus(link, keys, cluster.lease.ttlMs, logger, options.rest);
  // a code AllTick refused on the owner's connection ends the subscriptions here that want it
  const stopRejections = link.listen(keys.rejections, (text) => {
    const rejection = decodeJson(rejectionSchema, text);
    if (rejection) manager.failSymbol(new SymbolRejectedError(rejection.code, rejection.ret, rejection.reason));
  });
  // back from a Redis outage: whatever ticked meanwhile is in the shared cache
  link.on('up', () => catchUp(bus.followedSymbols));

  status.start();
  demand.start();
  lease.start();
  logger.info({ prefix: keys.prefix }, 'cluster mode: sharing one upstream through Redis');

  return {
    feed,
    manager,
    upstream,
    status,
    instanceId,
    isOwner: () => owner.isOwner,
    restChanged: () => status.restChanged(),
    ready: () => status.ready,
    stop: async () => {
      manager.clear(); // no local interest any more…
      await demand.stop(); // …withdrawn from Redis at once
      await owner.stop(); // frees the lease for another instance
      status.stop();
      stopRejections();
      await link.close();
      await options.simulator?.close();
    },
  };
}
