/**
 * The feed side of the server, wired: the AllTick upstream (or the built-in simulator when no
 * token is configured) → feed manager → last-value cache → bus.
 */
import { historyLimitsOf, tickTimeWindowOf, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import { MemoryBus } from '../bus/memory.js';
import { createSimulator, type Simulator } from '../simulator/server.js';
import { PLANS } from './alltick/plans.js';
import { RET_MESSAGES } from './alltick/protocol.js';
import { RateLimiter, rateLimitsOf, withMargin } from './alltick/rate-limiter.js';
import { MarketFeed } from './feed.js';
import { MemoryTradeHistory } from './history/trade-history.js';
import { FeedManager, SymbolRejectedError } from './manager.js';
import { SnapshotService } from './snapshots/snapshot-service.js';
import { AllTickUpstream, type UpstreamOptions } from './upstream.js';
import { AllTickRestClient } from './alltick/rest.js';
import type { FeedStatusSource } from './status.js';

/** Added to every REST gap of the plan, against arrival jitter. */
const REST_GAP_MARGIN_MS = 200;
/** With several instances the calls come from several processes, whose delays differ more. */
const CLUSTER_REST_GAP_MARGIN_MS = 400;

/** How long shutdown waits for the emptied lists to reach upstream before closing the sockets. */
const SHUTDOWN_SETTLE_MS = 4000;

export interface FeedOptions {
  config: Config;
  logger: Logger;
  /** upstream timing overrides (tests) */
  timings?: UpstreamOptions['timings'];
}

export interface RunningFeed {
  feed: MarketFeed;
  manager: FeedManager;
  upstream: AllTickUpstream;
  /** feed status for clients: the local upstream, or in cluster mode the owner's (through Redis) */
  status: FeedStatusSource;
  /** AllTick REST (the simulator's when no token): cold snapshots, candles, static info */
  snapshots: SnapshotService;
  /** the in-process simulator when no ALLTICK_TOKEN is configured */
  simulator: Simulator | null;
  /** AllTick REST (snapshots, k-lines), rate-limited per plan; its health shows in feedStatus.rest */
  rest: AllTickRestClient;
  /** true when the upstream is connected */
  ready(): boolean;
  /** Empties the upstream lists, closes the connections (and the simulator). */
  stop(): Promise<void>;
}

export async function startFeed({ config, logger, timings }: FeedOptions): Promise<RunningFeed> {
  let simulator: Simulator | null = null;
  let wsBaseUrl = config.ALLTICK_WS_URL;
  let apiBaseUrl = config.ALLTICK_API_URL;
  let token = config.ALLTICK_TOKEN;
  if (!token) {
    simulator = await createSimulator({ port: 0, plan: config.ALLTICK_PLAN });
    wsBaseUrl = simulator.wsUrl;
    apiBaseUrl = simulator.httpUrl;
    token = 'simulator';
    logger.info({ upstream: simulator.wsUrl }, 'ALLTICK_TOKEN is unset: using the built-in AllTick simulator');
  } else {
    logger.info({ upstream: wsBaseUrl, plan: config.ALLTICK_PLAN }, 'using AllTick');
  }

  const plan = PLANS[config.ALLTICK_PLAN];
  const upstreamTimings = timings ?? config.ALLTICK_TIMINGS;
  if (config.REDIS_URL) {
    // several instances, one upstream and one REST budget: see src/cluster/ (imported only then: ioredis costs memory)
    const { clusterTimingsFrom, startClusterFeed } = await import('../cluster/start-cluster.js');
    const cluster = startClusterFeed({
      config,
      redisUrl: config.REDIS_URL,
      logger,
      wsBaseUrl,
      token,
      simulator,
      rest: { status: () => rest.status() },
      restLimits: withMargin(rateLimitsOf(plan), CLUSTER_REST_GAP_MARGIN_MS),
      restWindowMarginMs: CLUSTER_REST_GAP_MARGIN_MS,
      settleMs: SHUTDOWN_SETTLE_MS,
      cluster: clusterTimingsFrom(config.CLUSTER_TIMINGS),
      ...(upstreamTimings && { timings: upstreamTimings }),
    });
    const rest = new AllTickRestClient({
      baseUrl: apiBaseUrl,
      token,
      plan,
      logger,
      limiter: cluster.restLimiter,
      maxBodyBytes: config.UPSTREAM_REST_MAX_BYTES,
      onFailure: () => cluster.restChanged(),
    });
    return { ...cluster, snapshots: new SnapshotService({ rest }), simulator, rest };
  }

  let onRestFailure = () => {};
  const limiter = new RateLimiter({ limits: withMargin(rateLimitsOf(plan), REST_GAP_MARGIN_MS) });
  const rest = new AllTickRestClient({ baseUrl: apiBaseUrl, token, plan, logger, limiter, maxBodyBytes: config.UPSTREAM_REST_MAX_BYTES, onFailure: () => onRestFailure() });
  const snapshots = new SnapshotService({ rest });

  const upstream = new AllTickUpstream({
    wsBaseUrl,
    token,
    plan,
    logger,
    subscribeGapMs: config.ALLTICK_SUBSCRIBE_GAP_MS,
    tickTimeWindow: tickTimeWindowOf(config),
    ...(upstreamTimings && { timings: upstreamTimings }),
  });
  const manager = new FeedManager({ sink: upstream, lingerMs: config.LINGER_MS, capacity: upstream.capacity });
  const feed = new MarketFeed(manager, new MemoryBus(), null, null, new MemoryTradeHistory(historyLimitsOf(config)));
  onRestFailure = () => upstream.restChanged();
  upstream.attachRest(rest);
  upstream.on('event', (event) => feed.ingest(event));
  upstream.on('status', (s) =>
    logger.info({ endpoint: s.endpoint, index: s.index, state: s.state, reason: s.reason, resubscribed: s.resubscribed }, 'upstream status'),
  );
  // a code upstream refuses ends only the subscriptions that asked for it
  upstream.on('codeRejected', ({ code, error }) => manager.failSymbol(new SymbolRejectedError(code, error.ret, RET_MESSAGES[error.ret] ?? 'rejected')));
  upstream.start();

  return {
    feed,
    manager,
    upstream,
    status: upstream,
    snapshots,
    simulator,
    rest,
    ready: () => upstream.connected,
    stop: async () => {
      manager.clear(); // empty every upstream list…
      await Promise.resolve(); // …(the manager hands lists over in a microtask)…
      await upstream.stop(SHUTDOWN_SETTLE_MS); // …and give the cancel a moment to reach AllTick
      await simulator?.close();
    },
  };
}
