/**
 * Trades: `Subscription.trades(symbols, after)` delivers every upstream trade of the symbols (trades
 * only upstream, no order book), first replaying the history after `after` when resuming
 * (src/stream/trade-resume.ts); `Query.recentTrades(symbol, limit)` reads the same items from the
 * bounded trade history (in Redis for a cluster, so every instance answers the same). Every trade
 * carries a cursor. Every trade matters: never merged. Over graphql-ws, equal
 * subscriptions share one execution and a client that stays behind is evicted (close 4008,
 * docs/operations.md "Slow consumers"); on other transports a client more than the queue bound behind loses trades
 * (counted).
 */
import { admitted } from './feed-errors.js';
import { z } from 'zod';
import type { Trade } from '../feed/alltick/protocol.js';
import { encodeCursor, type Cursor } from '../feed/history/cursor.js';
import { parseArg, parseSymbol, parseSymbols } from './args.js';
import { builder } from './builder.js';
import { DEFAULT_MAX_QUEUE, feedStream } from './feed-stream.js';
import { sharedStream, type SharedStreamSpec } from '../stream/shared-streams.js';
import { TradeResume, type ResumedTrade } from '../stream/trade-resume.js';
import { AFTER_DESCRIPTION, resumeCursors, withStreamCursor } from './resume.js';

/**
 * The stream contract of `trades` (src/stream/shared-streams.ts): graphql-ws subscribers of equal
 * operations share one execution; no conflation: a client that stays behind is evicted rather than
 * given a merged stream (src/http/fanout).
 */
const TRADES_STREAM: SharedStreamSpec<Trade> = {
  setArgs: ['symbols'],
  privateArgs: ['after'],
  keyOf: (trade) => trade.symbol,
  replayLatest: false,
  // a trade renders the same for every group with the same selection
  stampOf: (trade) => trade,
};

/** Most trades `recentTrades` returns. */
export const MAX_RECENT_TRADES = 500;

export const tradeCursor = (epoch: string, trade: Trade): Cursor => ({ kind: 'trade', symbol: trade.symbol, epoch, id: trade.id ?? '0' });

const TradeSideEnum = builder.enumType('TradeSide', {
  description: 'Aggressor side, from AllTick `trade_direction` (1 buy, 2 sell, 0 or absent neutral).',
  values: ['BUY', 'SELL', 'NEUTRAL'] as const,
});

export const TradeRef = builder.objectRef<ResumedTrade>('Trade').implement({
  description: 'One trade as AllTick reported it.',
  fields: (t) => ({
    symbol: t.exposeString('symbol'),
    price: t.expose('price', { type: 'Decimal' }),
    volume: t.expose('volume', { type: 'Decimal' }),
    turnover: t.expose('turnover', { type: 'Decimal', nullable: true, description: 'Traded value, when upstream sends it.' }),
    side: t.expose('side', { type: TradeSideEnum }),
    time: t.expose('time', { type: 'DateTime', description: 'Upstream tick_time.' }),
    seq: t.exposeString('seq', { description: 'Upstream sequence number.' }),
    cursor: t.string({
      description: 'Orders the trades of this symbol: pass it as `after` to resume the stream after this trade.',
      resolve: (trade, _args, ctx) => encodeCursor(tradeCursor(ctx.feed.history.epoch, trade)),
    }),
    gap: t.boolean({
      description:
        'True on the first trade of a symbol after a resume whose cursor the history no longer reaches (too old, or from before a ' +
        'restart): trades between that cursor and this one are missing. Always false otherwise.',
      resolve: (trade) => trade.gap === true,
    }),
  }),
});

const limitSchema = z.number().int().min(1, 'limit must be at least 1').max(MAX_RECENT_TRADES, `limit must be at most ${MAX_RECENT_TRADES}`);

builder.queryField('recentTrades', (t) =>
  t.field({
    type: [TradeRef],
    description:
      `The latest \`limit\` trades (1..${MAX_RECENT_TRADES}) of a symbol from the trade history, oldest first ` +
      '(TRADE_HISTORY_SIZE per symbol, none older than TRADE_HISTORY_MAX_AGE_MS; shared by all instances of a cluster). ' +
      'Only symbols some client subscribed have trades here. Pass the last `cursor` to `trades(after:)` to continue live without a gap.',
    args: { symbol: t.arg.string({ required: true }), limit: t.arg.int({ defaultValue: 50 }) },
    resolve: (_root, args, ctx) => ctx.feed.history.recent(parseSymbol(args.symbol, ctx), parseArg(limitSchema, args.limit, 'limit')),
  }),
);

builder.subscriptionField('trades', (t) =>
  t.field({
    type: TradeRef,
    description:
      'Every trade of the symbols, in arrival order. With `after`, first every trade of the history after those cursors ' +
      '(per symbol, oldest first), then live, each trade once.',
    args: {
      symbols: t.arg.stringList({ required: true }),
      after: t.arg.stringList({ description: AFTER_DESCRIPTION }),
    },
    extensions: sharedStream(TRADES_STREAM),
    subscribe: (_root, args, ctx) => {
      const symbols = parseSymbols(args.symbols, ctx);
      const history = ctx.feed.history;
      const from = resumeCursors(args.after, ctx).filter((c): c is Extract<Cursor, { kind: 'trade' }> => c.kind === 'trade' && symbols.includes(c.symbol));
      const after = new Map(from.map((c) => [c.symbol, c.epoch === history.epoch ? c.id : null]));
      return admitted(ctx.feed, symbols, () => {
        const resume = after.size > 0 ? new TradeResume(history, after) : null;
        const source = feedStream<ResumedTrade>({
          name: 'trades',
          feed: ctx.feed,
          metrics: ctx.delivery,
          symbols,
          depth: 0,
          // a replay may be the whole history of each resumed symbol: room for it on top of the live queue
          maxQueue: DEFAULT_MAX_QUEUE + after.size * history.limits.maxTrades,
          onUpdate: (snapshot, offer) => {
            // a trade without an id is a REST read that primed a cold quote, not a trade of the stream (nor of the history)
            if (snapshot.last.kind !== 'trade' || snapshot.last.id === undefined) return;
            if (resume) resume.live(snapshot.last, offer);
            else offer(snapshot.last);
          },
          ...(resume && { start: (offer) => resume.start(offer) }),
        });
        return withStreamCursor(ctx, source, from, (trade) => tradeCursor(history.epoch, trade));
      });
    },
    resolve: (trade: ResumedTrade) => trade,
  }),
);
