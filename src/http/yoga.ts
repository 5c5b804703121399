/**
 * Yoga: GraphQL over HTTP (GET and POST), SSE subscriptions, GraphiQL served offline from the
 * package (loaded on its first visit), /health and /ready; the dashboard (/), /metrics and request-id error logs as plugins.
 */
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { MarketFeed } from '../feed/feed.js';
import type { SnapshotService } from '../feed/snapshots/snapshot-service.js';
import type { FeedStatusSource } from '../feed/status.js';
import type { Logger } from '../logger.js';
import type { Context } from '../schema/context.js';
import { schema } from '../schema/index.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import { renderGraphiQLOnDemand, useGraphiQLPage } from './graphiql-page.js';
import { useDashboard } from './use-dashboard.js';
import { useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';
import { GRAPHQL_SSE_PATH } from './paths.js';
import { usePersistedQueries } from './use-persisted-queries.js';
import { useHttpCaching } from './use-http-caching.js';
import { maskWithCodes } from './public-errors.js';
import { sseTrailOf, useResumableSse } from './sse-resume.js';
import { useMetrics } from './use-metrics.js';
import { REQUEST_ID_HEADER, useRequestLog } from './use-request-log.js';
import type { ClientGuards, RequestHead } from './client-guards.js';
import { useOperationGuards } from './use-operation-guards.js';
import { useIntrospectionSwitch } from './use-introspection-switch.js';
import { useRequestParseErrors } from './use-request-parse-errors.js';
import { useSharedSubscriptions } from './fanout/plugin.js';
import { documentCache, noErrorCache } from './document-limits.js';
import type { FanoutRegistry } from './fanout/registry.js';

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

/**
 * Any origin may read the API without credentials (it is public market data, and API keys travel
 * in the Authorization header, not cookies); only CORS_ORIGINS get `Access-Control-Allow-Credentials`.
 * Browsers may read `x-request-id` to quote it in a bug report.
 */
function corsPolicy(credentialedOrigins: readonly string[]) {
  const allowed = new Set(credentialedOrigins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    const credentials = origin !== null && allowed.has(origin);
    return { origin: credentials ? origin : '*', credentials, exposedHeaders: [REQUEST_ID_HEADER], maxAge: 600 };
  };
}

export const HEALTH_PATH = '/health';
export const READY_PATH = '/ready';

export interface YogaAppOptions {
  config: Config;
  logger: Logger;
  feed: MarketFeed;
  status: FeedStatusSource;
  snapshots: SnapshotService;
  isReady: () => boolean;
  metrics: ServerMetrics;
  /** client identity, limits and auth (docs/operations.md "Limits", "Authentication") */
  guards: ClientGuards;
  /** shared execution of graphql-ws subscriptions (src/http/fanout) */
  fanout?: FanoutRegistry;
}

export function createYogaApp({
  config,
  logger,
  feed,
  status,
  snapshots,
  isReady,
  metrics,
  guards,
  fanout,
}: YogaAppOptions): YogaServerInstance<Record<string, unknown>, Context> {
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) =>
      logger[level](args.map(String).join(' '));
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: HEALTH_PATH,
    landingPage: false,
    // Apollo's BatchHttpLink: a JSON array of operations in one POST, at most 10
    batching: { limit: 10 },
    maskedErrors: { maskError: maskWithCodes },
    cors: corsPolicy(config.CORS_ORIGINS ?? []),
    // bounded by estimated heap, not by count (src/http/document-limits.ts)
    parserAndValidationCache: { documentCache: documentCache(config.DOCUMENT_CACHE_BYTES), errorCache: noErrorCache },
    context: (init) => {
      // Yoga's server context on HTTP (the IncomingMessage), the upgrade request's head on graphql-ws
      const client = guards.identityOf(init.req as RequestHead | undefined);
      const sse = sseTrailOf(init.request);
      return {
        feed,
        status,
        delivery: metrics.delivery,
        limits: { maxSymbols: client.limits.maxSymbols },
        client,
        visibilityKey: client.visibilityKey,
        loaders: snapshots.forRequest(),
        ...(sse && { sse }),
      };
    },
    graphiql: config.GRAPHIQL && { title: 'alltick-graphql', subscriptionsProtocol: 'WS', defaultQuery: DEFAULT_QUERY },
    renderGraphiQL: renderGraphiQLOnDemand,
    logging: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    plugins: [
      useReadinessCheck({ endpoint: READY_PATH, check: isReady }),
      usePersistedQueries(), // before useRequestParseErrors: a hash stands in for the query
      useRequestParseErrors(),
      useIntrospectionSwitch(config.INTROSPECTION),
      useOperationGuards(guards),
      useRequestLog(logger),
      useMetrics(metrics),
      useDashboard(),
      // graphql-sse's protocol, both modes (single connection and distinct connections), for its client
      useGraphQLSSE({ endpoint: GRAPHQL_SSE_PATH }),
      useHttpCaching({ perClient: guards.authEnabled }),
      useGraphiQLPage('/graphql'),
      useResumableSse(),
      ...(fanout ? [useSharedSubscriptions(fanout)] : []),
    ],
  });
}
