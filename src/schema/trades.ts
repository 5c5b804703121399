/**
 * Trades: `Subscription.trades(symbols)` delivers every upstream trade of the symbols (trades
 * only upstream, no order book); `Query.recentTrades(symbol, limit)` reads the same items from
 * the per-symbol ring buffer. Every trade matters: never merged. Over graphql-ws, equal
 * subscriptions share one execution and a client that stays behind is evicted (close 4008, README
 * "Slow consumers"); on other transports a client more than the queue bound behind loses trades
 * (counted).
 */
import { z } from 'zod';
import type { Trade } from '../feed/alltick/protocol.js';
import { DEFAULT_TRADES_PER_SYMBOL } from '../feed/trade-log.js';
import { parseArg, parseSymbol, parseSymbols } from './args.js';
import { builder } from './builder.js';
import { feedStream } from './feed-stream.js';
import { registerSharedStream } from '../stream/shared-streams.js';

const TradeSideEnum = builder.enumType('TradeSide', {
  description: 'Aggressor side, from AllTick `trade_direction` (1 buy, 2 sell, 0 or absent neutral).',
  values: ['BUY', 'SELL', 'NEUTRAL'] as const,
});

export const TradeRef = builder.objectRef<Trade>('Trade').implement({
  description: 'One trade as AllTick reported it.',
  fields: (t) => ({
    symbol: t.exposeString('symbol'),
    price: t.expose('price', { type: 'Decimal' }),
    volume: t.expose('volume', { type: 'Decimal' }),
    turnover: t.expose('turnover', { type: 'Decimal', nullable: true, description: 'Traded value, when upstream sends it.' }),
    side: t.expose('side', { type: TradeSideEnum }),
    time: t.expose('time', { type: 'DateTime', description: 'Upstream tick_time.' }),
    seq: t.exposeString('seq', { description: 'Upstream sequence number.' }),
  }),
});

const limitSchema = z
  .number()
  .int()
  .min(1, 'limit must be at least 1')
  .max(DEFAULT_TRADES_PER_SYMBOL, `limit must be at most ${DEFAULT_TRADES_PER_SYMBOL}`);

builder.queryField('recentTrades', (t) =>
  t.field({
    type: [TradeRef],
    description:
      `The latest trades of a symbol the server has received (up to ${DEFAULT_TRADES_PER_SYMBOL} kept per symbol), oldest first. ` +
      'Only symbols some client subscribed have trades here.',
    args: { symbol: t.arg.string({ required: true }), limit: t.arg.int({ defaultValue: 50 }) },
    resolve: (_root, args, ctx) => ctx.feed.trades.recent(parseSymbol(args.symbol, ctx), parseArg(limitSchema, args.limit, 'limit')),
  }),
);

builder.subscriptionField('trades', (t) =>
  t.field({
    type: TradeRef,
    description: 'Every trade of the symbols, in arrival order.',
    args: { symbols: t.arg.stringList({ required: true }) },
    subscribe: (_root, args, ctx) =>
      feedStream<Trade>({
        name: 'trades',
        feed: ctx.feed,
        symbols: parseSymbols(args.symbols, ctx),
        depth: 0,
        onUpdate: (snapshot, offer) => {
          if (snapshot.last.kind === 'trade') offer(snapshot.last);
        },
      }),
    resolve: (trade: Trade) => trade,
  }),
);

// graphql-ws subscribers of equal `trades` operations share one execution; no conflation: a client
// that stays behind is evicted rather than given a merged stream (src/http/fanout)
registerSharedStream<Trade>('trades', {
  setArgs: ['symbols'],
  keyOf: (trade) => trade.symbol,
  replayLatest: false,
  // a trade renders the same for every group with the same selection
  stampOf: (trade) => trade,
});
