/**
 * The baseline: a GraphQL server written the way the Yoga documentation teaches — `createSchema`,
 * a `createPubSub` topic per symbol, and graphql-ws wired through `yoga.getEnveloped`. Every
 * subscriber executes and serializes every event on its own. Same upstream and feed as the real
 * server (one feed watch per symbol publishes into the pubsub).
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { createPubSub, createSchema, createYoga, Repeater } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Config } from '../../src/config.js';
import { quoteView, type QuoteView } from '../../src/feed/cache.js';
import { startFeed, type FeedOptions } from '../../src/app/start-feed.js';
import type { Logger } from '../../src/logger.js';
import { listenBenchServer, type BenchServer } from './types.js';

// createPubSub adds one EventTarget listener per subscriber; keep Node's leak warning out of the output
EventEmitter.defaultMaxListeners = 0;

export async function startNaiveServer(config: Config, logger: Logger, timings: FeedOptions['timings']): Promise<BenchServer> {
  const running = await startFeed({ config, logger, timings });
  const pubSub = createPubSub<{ quote: [symbol: string, payload: QuoteView] }>();
  const watched = new Set<string>();
  const ensureWatched = (symbols: string[]) => {
    for (const symbol of symbols) {
      if (watched.has(symbol)) continue;
      watched.add(symbol);
      running.feed.watch([symbol], 1, (snapshot) => pubSub.publish('quote', symbol, quoteView(snapshot, 1)));
    }
  };

  const schema = createSchema({
    typeDefs: /* GraphQL */ `
      type PriceLevel {
        price: String!
        volume: String!
      }
      type Quote {
        symbol: String!
        price: String
        volume: String
        time: String
        seq: String
        bids: [PriceLevel!]!
        asks: [PriceLevel!]!
      }
      type Query {
        ok: Boolean
      }
      type Subscription {
        quotes(symbols: [String!]!, depth: Int = 5): Quote!
      }
    `,
    resolvers: {
      Quote: { time: (q: QuoteView) => (q.time === null ? null : new Date(q.time).toISOString()) },
      Subscription: {
        quotes: {
          subscribe: (_: unknown, { symbols }: { symbols: string[] }) => {
            ensureWatched(symbols);
            return Repeater.merge(symbols.map((s) => pubSub.subscribe('quote', s)));
          },
          resolve: (q: QuoteView) => q,
        },
      },
    },
  });
  const yoga = createYoga({ schema, graphiql: false, logging: false });
  const httpServer = createServer(yoga);
  const wss = new WebSocketServer({ server: httpServer, path: yoga.graphqlEndpoint });
  useServer(
    {
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const args: ExecutionArgs = {
          schema,
          operationName: params.operationName ?? null,
          document: parse(params.query),
          variableValues: params.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length ? errors : args;
      },
    },
    wss,
  );
  return listenBenchServer(httpServer, wss, running);
}
