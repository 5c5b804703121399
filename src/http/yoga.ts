/**
 * Yoga: GraphQL over HTTP (GET and POST), SSE subscriptions, GraphiQL served offline from the
 * package, /health and /ready; the dashboard (/), /metrics and request-id error logs as plugins.
 */
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { Config } from '../config.js';
import type { MarketFeed } from '../feed/feed.js';
import type { SnapshotService } from '../feed/snapshots/snapshot-service.js';
import type { FeedStatusSource } from '../feed/status.js';
import type { Logger } from '../logger.js';
import type { Context } from '../schema/context.js';
import { schema } from '../schema/index.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import { useDashboard } from './use-dashboard.js';
import { useMetrics } from './use-metrics.js';
import { useRequestLog } from './use-request-log.js';

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

export interface YogaAppOptions {
  config: Config;
  logger: Logger;
  feed: MarketFeed;
  status: FeedStatusSource;
  snapshots: SnapshotService;
  isReady: () => boolean;
  metrics: ServerMetrics;
}

export function createYogaApp({ config, logger, feed, status, snapshots, isReady, metrics }: YogaAppOptions): YogaServerInstance<Record<string, unknown>, Context> {
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => logger[level](args.map(String).join(' '));
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    context: () => ({ feed, status, limits: { maxSymbols: config.MAX_SYMBOLS }, loaders: snapshots.forRequest() }),
    graphiql: { title: 'alltick-graphql', subscriptionsProtocol: 'WS', defaultQuery: DEFAULT_QUERY },
    renderGraphiQL,
    logging: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    plugins: [useReadinessCheck({ endpoint: '/ready', check: isReady }), useRequestLog(logger), useMetrics(metrics), useDashboard()],
  });
}
