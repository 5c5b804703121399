/**
 * SPEC §4: the Quote type, the `quote` / `quotes` snapshot queries and the `quotes` subscription.
 * Queries read the last-value cache only and never subscribe upstream.
 */
import type { PriceLevel } from '../feed/alltick/protocol.js';
import { quoteView, type QuoteView } from '../feed/cache.js';
import { parseDepth, parseSymbol, parseSymbols } from './args.js';
import { builder } from './builder.js';
import { quoteStream } from './quote-stream.js';

export const PriceLevelRef = builder.objectRef<PriceLevel>('PriceLevel').implement({
  description: 'One level of an order book.',
  fields: (t) => ({
    price: t.expose('price', { type: 'Decimal' }),
    volume: t.expose('volume', { type: 'Decimal' }),
  }),
});

export const QuoteRef = builder.objectRef<QuoteView>('Quote').implement({
  description: 'The latest known state of one symbol: last trade and top of the order book.',
  fields: (t) => ({
    symbol: t.exposeString('symbol'),
    price: t.expose('price', { type: 'Decimal', nullable: true, description: 'Last trade price; null until a trade is known.' }),
    volume: t.expose('volume', { type: 'Decimal', nullable: true, description: 'Volume of the last trade.' }),
    time: t.expose('time', { type: 'DateTime', nullable: true, description: 'Upstream tick_time of the latest update for this symbol.' }),
    seq: t.exposeString('seq', { nullable: true, description: 'Upstream sequence number of that update.' }),
    bids: t.expose('bids', { type: [PriceLevelRef], description: 'Best first, at most `depth` levels.' }),
    asks: t.expose('asks', { type: [PriceLevelRef], description: 'Best first, at most `depth` levels.' }),
  }),
});

builder.queryFields((t) => ({
  quote: t.field({
    type: QuoteRef,
    nullable: true,
    description: 'The cached quote of one symbol; null when the server has no data for it yet.',
    args: { symbol: t.arg.string({ required: true }), depth: t.arg.int({ defaultValue: 5 }) },
    resolve: async (_root, args, ctx) => {
      const symbol = parseSymbol(args.symbol);
      const depth = parseDepth(args.depth);
      const [snapshot] = await ctx.feed.lookup([symbol]);
      return snapshot ? quoteView(snapshot, depth) : null;
    },
  }),
  quotes: t.field({
    type: [QuoteRef],
    nullable: { list: false, items: true },
    description: 'Cached quotes, in the order asked; null for a symbol the server has no data for yet.',
    args: { symbols: t.arg.stringList({ required: true }), depth: t.arg.int({ defaultValue: 5 }) },
    resolve: async (_root, args, ctx) => {
      const symbols = parseSymbols(args.symbols, ctx.limits.maxSymbols);
      const depth = parseDepth(args.depth);
      const snapshots = await ctx.feed.lookup(symbols);
      return snapshots.map((snapshot) => (snapshot ? quoteView(snapshot, depth) : null));
    },
  }),
}));

builder.subscriptionFields((t) => ({
  quotes: t.field({
    type: QuoteRef,
    description:
      'One event each time any of the symbols changes; the first events are the current state of each symbol the server already knows.',
    args: { symbols: t.arg.stringList({ required: true }), depth: t.arg.int({ defaultValue: 5 }) },
    subscribe: (_root, args, ctx) => {
      const symbols = parseSymbols(args.symbols, ctx.limits.maxSymbols);
      const depth = parseDepth(args.depth);
      return quoteStream(ctx.feed, symbols, depth);
    },
    resolve: (quote: QuoteView) => quote,
  }),
}));
