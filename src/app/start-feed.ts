/**
 * The composition root of the feed side: picks the upstream (AllTick, or the built-in simulator
 * when no token is configured), builds the AllTick REST client, and starts one of the two
 * topologies — single instance (single-instance.ts) or cluster through Redis (cluster-topology.ts).
 * Stop order lives here: the topology first (demand withdrawn, sockets closed), then the simulator.
 * server.ts puts the HTTP side in front of this.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createSimulator, type Simulator } from '../simulator/server.js';
import { PLANS } from '../feed/alltick/plans.js';
import { RateLimiter, rateLimitsOf, withMargin } from '../feed/alltick/rate-limiter.js';
import { AllTickRestClient } from '../feed/alltick/rest.js';
import { SnapshotService } from '../feed/snapshots/snapshot-service.js';
import type { UpstreamOptions } from '../feed/upstream.js';
import type { ClusterFeed } from './cluster-topology.js';
import { startSingleInstance } from './single-instance.js';
import type { Topology } from './topology.js';

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

export interface RunningFeed extends Topology {
  /** AllTick REST (the simulator's when no token): cold snapshots, candles, static info */
  snapshots: SnapshotService;
  /** the in-process simulator when no ALLTICK_TOKEN is configured */
  simulator: Simulator | null;
  /** AllTick REST (snapshots, k-lines), rate-limited per plan; its health shows in feedStatus.rest */
  rest: AllTickRestClient;
  /** Empties the upstream lists, closes the connections, then the simulator. */
  stop(): Promise<void>;
}

interface UpstreamSource {
  wsBaseUrl: string;
  apiBaseUrl: string;
  token: string;
  simulator: Simulator | null;
}

/** AllTick when a token is configured, else the built-in simulator on a free loopback port. */
async function upstreamSource(config: Config, logger: Logger): Promise<UpstreamSource> {
  if (config.ALLTICK_TOKEN) {
    logger.info({ upstream: config.ALLTICK_WS_URL, plan: config.ALLTICK_PLAN }, 'using AllTick');
    return { wsBaseUrl: config.ALLTICK_WS_URL, apiBaseUrl: config.ALLTICK_API_URL, token: config.ALLTICK_TOKEN, simulator: null };
  }
  const simulator = await createSimulator({ port: 0, plan: config.ALLTICK_PLAN });
  logger.info({ upstream: simulator.wsUrl }, 'ALLTICK_TOKEN is unset: using the built-in AllTick simulator');
  return { wsBaseUrl: simulator.wsUrl, apiBaseUrl: simulator.httpUrl, token: 'simulator', simulator };
}

export async function startFeed({ config, logger, timings }: FeedOptions): Promise<RunningFeed> {
  const { wsBaseUrl, apiBaseUrl, token, simulator } = await upstreamSource(config, logger);
  const plan = PLANS[config.ALLTICK_PLAN];
  const upstreamTimings = timings ?? config.ALLTICK_TIMINGS;

  // several instances, one upstream and one REST budget through Redis: see src/cluster/
  // (imported only then: ioredis costs memory)
  const clusterTopology = config.REDIS_URL ? await import('./cluster-topology.js') : null;
  const cluster: ClusterFeed | null =
    config.REDIS_URL && clusterTopology
      ? clusterTopology.startClusterFeed({
          config,
          redisUrl: config.REDIS_URL,
          logger,
          wsBaseUrl,
          token,
          rest: { status: () => rest.status() },
          restLimits: withMargin(rateLimitsOf(plan), CLUSTER_REST_GAP_MARGIN_MS),
          restWindowMarginMs: CLUSTER_REST_GAP_MARGIN_MS,
          settleMs: SHUTDOWN_SETTLE_MS,
          cluster: clusterTopology.clusterTimingsFrom(config.CLUSTER_TIMINGS),
          ...(upstreamTimings && { timings: upstreamTimings }),
        })
      : null;

  const limiter = cluster?.restLimiter ?? new RateLimiter({ limits: withMargin(rateLimitsOf(plan), REST_GAP_MARGIN_MS) });
  let topology: Topology | null = cluster;
  const rest: AllTickRestClient = new AllTickRestClient({
    baseUrl: apiBaseUrl,
    token,
    plan,
    logger,
    limiter,
    maxBodyBytes: config.UPSTREAM_REST_MAX_BYTES,
    onFailure: () => topology?.restChanged(),
  });
  topology ??= startSingleInstance({
    config,
    logger,
    wsBaseUrl,
    token,
    plan,
    rest,
    settleMs: SHUTDOWN_SETTLE_MS,
    ...(upstreamTimings && { timings: upstreamTimings }),
  });
  const running = topology;

  return {
    ...running,
    snapshots: new SnapshotService({ rest }),
    simulator,
    rest,
    stop: async () => {
      await running.stop();
      await simulator?.close();
    },
  };
}
