/**
 * Yoga: GraphQL over HTTP (GET and POST), SSE subscriptions, GraphiQL served offline from the
 * package, /health and /ready.
 */
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { Config } from '../config.js';
import type { MarketFeed } from '../feed/feed.js';
import type { FeedStatusSource } from '../feed/status.js';
import type { Logger } from '../logger.js';
import type { Context } from '../schema/context.js';
import { schema } from '../schema/index.js';
import { useSharedSubscriptions } from './fanout/plugin.js';
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

export interface YogaAppOptions {
  config: Config;
  logger: Logger;
  feed: MarketFeed;
  status: FeedStatusSource;
  isReady: () => boolean;
  /** shared execution of graphql-ws subscriptions (src/http/fanout) */
  fanout?: FanoutRegistry;
}

export function createYogaApp({ config, logger, feed, status, isReady, fanout }: YogaAppOptions): YogaServerInstance<Record<string, unknown>, Context> {
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => logger[level](args.map(String).join(' '));
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    context: () => ({ feed, status, limits: { maxSymbols: config.MAX_SYMBOLS } }),
    graphiql: { title: 'alltick-graphql', subscriptionsProtocol: 'WS', defaultQuery: DEFAULT_QUERY },
    renderGraphiQL,
    logging: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    plugins: [useReadinessCheck({ endpoint: '/ready', check: isReady }), ...(fanout ? [useSharedSubscriptions(fanout)] : [])],
  });
}
