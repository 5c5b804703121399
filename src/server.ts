/**
 * The composition root of the whole server (src/main.ts starts it): the feed side from
 * start-feed.ts, then the HTTP side in front of it. One http.Server carries GraphQL over HTTP
 * and SSE, GraphiQL (Yoga), graphql-ws on the same port and path, /health, /ready, /metrics and
 * the dashboard at /. `startServer` returns a handle whose `stop()` shuts everything down in
 * order: clients first (graphql-ws 1001, SSE ends), then the feed (start-feed.ts), then metrics.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.js';
import { startFeed, type FeedOptions, type RunningFeed } from './app/start-feed.js';
import type { MarketFeed } from './feed/feed.js';
import type { AllTickUpstream } from './feed/upstream.js';
import type { Simulator } from './simulator/server.js';
import { createYogaApp, HEALTH_PATH, READY_PATH } from './http/yoga.js';
import { METRICS_PATH } from './http/use-metrics.js';
import { attachGraphQLWs } from './http/graphql-ws.js';
import { ClientGuards } from './http/client-guards.js';
import { guardHttp } from './http/guard-http.js';
import { createWsGuards } from './http/ws-guards.js';
import { FanoutRegistry } from './http/fanout/registry.js';
import type { Context } from './schema/context.js';
import { createLogger, type Logger } from './logger.js';
import { ServerMetrics } from './metrics/server-metrics.js';

export interface ServerOptions {
  config: Config;
  logger?: Logger;
  /** upstream timing overrides (tests) */
  timings?: FeedOptions['timings'];
}

export interface RunningServer {
  url: string;
  port: number;
  httpServer: Server;
  feed: MarketFeed;
  upstream: AllTickUpstream;
  simulator: Simulator | null;
  /** the AllTick REST client of this server */
  rest: RunningFeed['rest'];
  /** client identity, limits and their refusal counts */
  guards: ClientGuards;
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  metrics: ServerMetrics;
  /** groups of graphql-ws subscriptions sharing one execution */
  fanout: FanoutRegistry;
  stop(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const guards = new ClientGuards(config); // reads API_KEYS_FILE first: a bad file stops the start
  if (guards.keys) logger.info({ keys: guards.keys.size }, 'client authentication on (API_KEYS_FILE)');
  const running: RunningFeed = await startFeed({ config, logger, ...(options.timings && { timings: options.timings }) });

  let shuttingDown = false;
  const metrics = new ServerMetrics({
    upstream: running.upstream,
    status: running.status,
    manager: running.manager,
    cache: running.feed.cache,
    restLimiter: running.rest.limiter,
  });
  const fanout = new FanoutRegistry({
    policy: { bufferBytes: config.SLOW_CONSUMER_BUFFER_BYTES, evictMs: config.SLOW_CONSUMER_EVICT_MS },
    metrics: metrics.delivery,
    logger,
  });
  const yoga = createYogaApp({
    config,
    logger,
    feed: running.feed,
    status: running.status,
    snapshots: running.snapshots,
    isReady: () => !shuttingDown && running.ready(),
    metrics,
    guards,
    fanout,
  });
  const httpServer = createServer(
    guardHttp(guards, (req, res) => void yoga(req, res), {
      maxBodyBytes: config.MAX_BODY_BYTES,
      graphqlPath: '/graphql',
      graphiql: config.GRAPHIQL,
      probePaths: [HEALTH_PATH, READY_PATH, METRICS_PATH],
    }),
  );
  metrics.observeHttpServer(httpServer);
  const ws = attachGraphQLWs(httpServer, yoga, { logger }, createWsGuards(guards));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const shownHost = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const url = `http://${shownHost}:${port}/graphql`;
  logger.info({ url }, 'GraphQL server ready');

  const stop = async () => {
    if (shuttingDown) return;
    shuttingDown = true; // /ready answers 503 from here on
    logger.info('shutting down');
    await ws.dispose(); // graphql-ws clients get 1001 Going Away
    httpServer.closeAllConnections(); // ends SSE streams
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    await yoga.dispose();
    await running.stop();
    metrics.dispose();
  };

  return {
    url,
    port,
    httpServer,
    feed: running.feed,
    upstream: running.upstream,
    simulator: running.simulator,
    rest: running.rest,
    guards,
    yoga,
    metrics,
    fanout,
    stop,
  };
}
