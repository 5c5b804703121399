/**
 * The cluster topology (REDIS_URL set), wired from the parts in src/cluster/: every instance keeps its own feed manager (ref counts,
 * linger) whose lists become its demand in Redis; one instance at a time holds the lease and runs
 * the AllTick upstream for the union of all demand; every instance, the owner included, receives
 * events from Redis into its local MarketFeed and fans them out to its own clients.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { historyLimitsOf, tickTimeWindowOf, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import { RedisBus } from '../bus/redis.js';
import { HEARTBEAT_TIMEOUT_MS, PLANS } from '../feed/alltick/plans.js';
import { MarketFeed } from '../feed/feed.js';
import { FeedManager, SymbolRejectedError } from '../feed/manager.js';
import type { RestStatus } from '../feed/alltick/rest.js';
import type { RateLimits, RestLimiter } from '../feed/alltick/rate-limiter.js';
import { AllTickUpstream, type UpstreamOptions } from '../feed/upstream.js';
import { ClusterStatus } from '../cluster/cluster-status.js';
import { DEFAULT_DEMAND_TIMINGS, DemandPublisher, type DemandTimings } from '../cluster/demand.js';
import { clusterKeys } from '../cluster/keys.js';
import { DEFAULT_LEASE_TIMINGS, OwnerLease, type LeaseTimings } from '../cluster/lease.js';
import { UpstreamOwner } from '../cluster/owner.js';
import { RedisLink } from '../cluster/redis-link.js';
import { RedisTradeHistory } from '../cluster/redis-history.js';
import { SharedRateLimiter } from '../cluster/rest-budget.js';
import { ClusterSymbolCap } from '../cluster/symbol-cap.js';
import { ClusterSocketGate } from '../cluster/socket-gate.js';
import { eventsOf, SharedCache } from '../cluster/shared-cache.js';
import { decodeJson, rejectionSchema } from '../cluster/wire.js';
import type { Topology } from './topology.js';

export interface ClusterTimings {
  lease: LeaseTimings;
  demand: DemandTimings;
  /** how often the owner re-reads the demand without a notice (bounds how late a dead instance's demand leaves) */
  reconcileMs: number;
}

export const DEFAULT_CLUSTER_TIMINGS: ClusterTimings = { lease: DEFAULT_LEASE_TIMINGS, demand: DEFAULT_DEMAND_TIMINGS, reconcileMs: 2000 };

/** The defaults with CLUSTER_TIMINGS applied (tests); a renewal slower than its TTL is refused. */
export function clusterTimingsFrom(overrides: NonNullable<Config['CLUSTER_TIMINGS']> = {}): ClusterTimings {
  const d = DEFAULT_CLUSTER_TIMINGS;
  const timings: ClusterTimings = {
    lease: {
      ttlMs: overrides.leaseTtlMs ?? d.lease.ttlMs,
      renewMs: overrides.leaseRenewMs ?? d.lease.renewMs,
      acquireMs: overrides.leaseAcquireMs ?? d.lease.acquireMs,
    },
    demand: { ttlMs: overrides.demandTtlMs ?? d.demand.ttlMs, refreshMs: overrides.demandRefreshMs ?? d.demand.refreshMs },
    reconcileMs: overrides.reconcileMs ?? d.reconcileMs,
  };
  if (timings.lease.renewMs >= timings.lease.ttlMs || timings.demand.refreshMs >= timings.demand.ttlMs) {
    throw new RangeError('CLUSTER_TIMINGS: a renewal or refresh must come sooner than its TTL');
  }
  return timings;
}

export interface ClusterFeedOptions {
  config: Config;
  redisUrl: string;
  logger: Logger;
  wsBaseUrl: string;
  token: string;
  /** this instance's AllTick REST client (its health shows in feedStatus.rest) */
  rest: { status(): RestStatus };
  /** the plan's REST limits, kept for the whole cluster in Redis */
  restLimits: RateLimits;
  /** added to the REST minute window against arrival jitter */
  restWindowMarginMs: number;
  timings?: UpstreamOptions['timings'];
  cluster?: ClusterTimings;
  settleMs: number;
}

export interface ClusterFeed extends Topology {
  instanceId: string;
  /** true while this instance holds the upstream lease */
  isOwner(): boolean;
  /** the REST budget of the token, shared by every instance through Redis */
  restLimiter: RestLimiter;
}

export function startClusterFeed(options: ClusterFeedOptions): ClusterFeed {
  const { config, wsBaseUrl, token, timings, settleMs } = options;
  const cluster = options.cluster ?? DEFAULT_CLUSTER_TIMINGS;
  const instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const logger = options.logger.child({ instance: instanceId });
  const keys = clusterKeys(config.REDIS_PREFIX);
  const link = new RedisLink(options.redisUrl, logger, instanceId);
  const historyLimits = historyLimitsOf(config);
  const shared = new SharedCache(link.cmd, keys, historyLimits);

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
    onEvent: (event) => feed.ingest(event),
    onFollow: (symbol) => catchUp([symbol]),
    onUnfollow: (symbol) => feed.cache.delete(symbol),
  });

  const plan = PLANS[config.ALLTICK_PLAN];
  const lease = new OwnerLease(link, keys, instanceId, cluster.lease, logger);
  const socketGate = new ClusterSocketGate({
    redis: link.cmd,
    keys,
    lease,
    logger,
    reconnectGapMs: timings?.reconnectGapMs ?? plan.reconnectGapMs,
    heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
    refreshMs: cluster.lease.renewMs,
  });
  const upstream = new AllTickUpstream({
    wsBaseUrl,
    token,
    plan,
    logger,
    socketGate,
    subscribeGapMs: config.ALLTICK_SUBSCRIBE_GAP_MS,
    tickTimeWindow: tickTimeWindowOf(config),
    ...(timings && { timings }),
  });
  upstream.on('status', (s) =>
    logger.info({ endpoint: s.endpoint, index: s.index, state: s.state, reason: s.reason, resubscribed: s.resubscribed }, 'upstream status'),
  );
  const cap: ClusterSymbolCap = new ClusterSymbolCap({
    redis: link.cmd,
    keys,
    instanceId,
    capacity: upstream.capacity,
    ttlMs: cluster.demand.ttlMs,
    demand: () => demand.current,
    dropLingering: async () => {
      manager.flushLinger();
      await Promise.resolve(); // the manager hands its lists over in a microtask
    },
  });
  const demand = new DemandPublisher(link, keys, instanceId, cluster.demand, logger, cap);
  const manager = new FeedManager({ sink: demand, lingerMs: config.LINGER_MS, capacity: upstream.capacity });
  const history = new RedisTradeHistory(link, keys, historyLimits);
  const feed: MarketFeed = new MarketFeed(manager, bus, { follows: (s) => bus.follows(s), read: (s) => shared.read(s) }, cap, history);

  const owner = new UpstreamOwner({
    link,
    keys,
    lease,
    upstream,
    cache: shared,
    logger,
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
    restLimiter: new SharedRateLimiter({ redis: link.cmd, keys, limits: options.restLimits, windowMarginMs: options.restWindowMarginMs, logger }),
    restChanged: () => status.restChanged(),
    ready: () => status.ready,
    stop: async () => {
      manager.clear(); // no local interest any more…
      await demand.stop(); // …withdrawn from Redis at once
      await owner.stop(); // frees the lease for another instance
      socketGate.stop();
      status.stop();
      stopRejections();
      await link.close();
    },
  };
}
