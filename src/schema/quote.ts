/**
 * SPEC §4: the Quote type, the `quote` / `quotes` snapshot queries and the `quotes` subscription.
 * Queries read the last-value cache only and never subscribe upstream.
 */
import type { PriceLevel } from '../feed/alltick/protocol.js';
import { quoteView, type QuoteView } from '../feed/cache.js';
import { parseDepth, parseSymbol, parseSymbols } from './args.js';
import { builder } from './builder.js';
import { QUOTE_SOURCE, quoteStream, type QuoteEvent } from './quote-stream.js';
import { parseThrottleMs, THROTTLE_MS_DESCRIPTION } from './throttle.js';
import { registerSharedStream } from '../stream/shared-streams.js';

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
    conflated: t.boolean({
      description:
        'True when earlier updates of this symbol were skipped and this event carries the latest value instead: the subscription asked for `throttleMs`, or the client read too slowly (README, "Slow consumers"). Always false in queries.',
      resolve: (quote) => (quote as QuoteEvent).conflated === true,
    }),
  }),
});

builder.queryFields((t) => ({
  quote: t.field({
    type: QuoteRef,
    nullable: true,
    description: 'The cached quote of one symbol; null when the server has no data for it yet.',
    args: { symbol: t.arg.string({ required: true }), depth: t.arg.int({ defaultValue: 5 }) },
    resolve: (_root, args, ctx) => {
      const symbol = parseSymbol(args.symbol);
      const depth = parseDepth(args.depth);
      const snapshot = ctx.feed.snapshot(symbol);
      return snapshot ? quoteView(snapshot, depth) : null;
    },
  }),
  quotes: t.field({
    type: [QuoteRef],
    nullable: { list: false, items: true },
    description: 'Cached quotes, in the order asked; null for a symbol the server has no data for yet.',
    args: { symbols: t.arg.stringList({ required: true }), depth: t.arg.int({ defaultValue: 5 }) },
    resolve: (_root, args, ctx) => {
      const symbols = parseSymbols(args.symbols, ctx.limits.maxSymbols);
      const depth = parseDepth(args.depth);
      return symbols.map((symbol) => {
        const snapshot = ctx.feed.snapshot(symbol);
        return snapshot ? quoteView(snapshot, depth) : null;
      });
    },
  }),
}));

builder.subscriptionFields((t) => ({
  quotes: t.field({
    type: QuoteRef,
    description:
      'One event each time any of the symbols changes; the first events are the current state of each symbol the server already knows.',
    args: {
      symbols: t.arg.stringList({ required: true }),
      depth: t.arg.int({ defaultValue: 5 }),
      throttleMs: t.arg.int({ description: THROTTLE_MS_DESCRIPTION }),
    },
    subscribe: (_root, args, ctx) => {
      const symbols = parseSymbols(args.symbols, ctx.limits.maxSymbols);
      const depth = parseDepth(args.depth);
      const throttleMs = parseThrottleMs(args.throttleMs);
      return quoteStream(ctx.feed, symbols, depth, { throttleMs });
    },
    resolve: (quote: QuoteView) => quote,
  }),
}));

// graphql-ws subscribers of equal `quotes` operations share one execution (src/http/fanout)
registerSharedStream<QuoteEvent>('quotes', {
  setArgs: ['symbols'],
  keyOf: (quote) => quote.symbol,
  replayLatest: true,
  conflate: { mark: (quote, conflated) => ({ ...quote, conflated }), isMarked: (quote) => quote.conflated === true },
  stampOf: (quote) => (quote.conflated ? undefined : quote[QUOTE_SOURCE]),
});
