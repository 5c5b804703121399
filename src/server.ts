/**
 * The HTTP side: one http.Server carries GraphQL over HTTP and SSE and GraphiQL (Yoga), graphql-ws
 * on the same port and path (sharing Yoga's envelop pipeline), /health, /ready and the feed.
 * `startServer` wires the feed (upstream → manager → cache → bus) and returns a handle whose
 * `stop()` shuts everything down in order.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { OperationResult } from 'graphql-ws';
import type { ExecutionArgs } from 'graphql';
import type { Config } from './config.js';
import { PLANS } from './feed/alltick/plans.js';
import { AllTickUpstream, type UpstreamOptions } from './feed/upstream.js';
import { FeedManager } from './feed/manager.js';
import { MarketFeed } from './feed/feed.js';
import { MemoryBus } from './bus/memory.js';
import { schema } from './schema/index.js';
import type { Context } from './schema/context.js';
import { createLogger, type Logger } from './logger.js';
import { createSimulator, type Simulator } from './simulator/server.js';

export const DEFAULT_QUERY = `# Live quotes over graphql-ws: press ▶ and watch prices move.
subscription LiveQuotes {
  quotes(symbols: ["AAPL.US", "700.HK", "BTCUSDT", "EURUSD"], depth: 3) {
    symbol
    price
    volume
    time
    seq
    bids { price volume }
    asks { price volume }
  }
}

# A snapshot from the server's last-value cache (never subscribes upstream):
# query Snapshot { quotes(symbols: ["AAPL.US", "700.HK"]) { symbol price time } }
`;

/** How long shutdown waits for the emptied lists to reach upstream before closing the sockets. */
const SHUTDOWN_SETTLE_MS = 4000;

export interface ServerOptions {
  config: Config;
  logger?: Logger;
  /** upstream timing overrides (tests) */
  timings?: UpstreamOptions['timings'];
}

export interface RunningServer {
  url: string;
  port: number;
  httpServer: Server;
  feed: MarketFeed;
  upstream: AllTickUpstream;
  /** the in-process simulator when no ALLTICK_TOKEN is configured */
  simulator: Simulator | null;
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  stop(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);

  // Upstream: the real AllTick, or the built-in simulator on a free loopback port.
  let simulator: Simulator | null = null;
  let wsBaseUrl = config.ALLTICK_WS_URL;
  let token = config.ALLTICK_TOKEN;
  if (!token) {
    simulator = await createSimulator({ port: 0, plan: config.ALLTICK_PLAN });
    wsBaseUrl = simulator.wsUrl;
    token = 'simulator';
    logger.info({ upstream: simulator.wsUrl }, 'ALLTICK_TOKEN is unset: using the built-in AllTick simulator');
  } else {
    logger.info({ upstream: wsBaseUrl, plan: config.ALLTICK_PLAN }, 'using AllTick');
  }

  const plan = PLANS[config.ALLTICK_PLAN];
  const upstream = new AllTickUpstream({ wsBaseUrl, token, plan, logger, ...(options.timings && { timings: options.timings }) });
  const manager = new FeedManager({ sink: upstream, lingerMs: config.LINGER_MS, capacity: upstream.capacity });
  const feed = new MarketFeed(manager, new MemoryBus());
  upstream.on('event', (event) => feed.ingest(event));
  upstream.on('status', (s) => logger.info({ endpoint: s.endpoint, index: s.index, state: s.state, reason: s.reason, resubscribed: s.resubscribed }, 'upstream status'));
  upstream.start();

  let shuttingDown = false;
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    context: () => ({ feed, limits: { maxSymbols: config.MAX_SYMBOLS } }),
    graphiql: { title: 'alltick-graphql', subscriptionsProtocol: 'WS', defaultQuery: DEFAULT_QUERY },
    renderGraphiQL,
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error(args.map(String).join(' ')),
    },
    plugins: [useReadinessCheck({ endpoint: '/ready', check: () => !shuttingDown && upstream.connected })],
  });

  const httpServer = createServer(yoga);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 64 * 1024 });
  const wsDisposable = useServer<Record<string, unknown>, { socket: unknown; request: unknown }>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const { schema: envelopedSchema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const args: ExecutionArgs = {
          schema: envelopedSchema,
          operationName: params.operationName ?? null,
          document: parse(params.query),
          variableValues: params.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? errors : args;
      },
    },
    wsServer,
  );

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
    shuttingDown = true;
    logger.info('shutting down');
    await wsDisposable.dispose(); // graphql-ws clients get 1001 Going Away
    httpServer.closeAllConnections(); // ends SSE streams
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    await yoga.dispose();
    manager.clear(); // empty every upstream list…
    await Promise.resolve(); // …(the manager hands lists over in a microtask)…
    await upstream.stop(SHUTDOWN_SETTLE_MS); // …and give the cancel a moment to reach AllTick
    await simulator?.close();
  };

  return { url, port, httpServer, feed, upstream, simulator, yoga, stop };
}

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}
