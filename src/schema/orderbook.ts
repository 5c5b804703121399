/**
 * Order books: `Query.orderBook(symbol, depth)` (live cache when upstream streams the book, else a
 * REST snapshot) and `Subscription.orderBook(symbol, depth)`, the latest book each time it changes
 * (a client that falls behind gets the newest book, not every one), with `stale` and a repeat of
 * the book (`seq: null`: a status event is no new book) when the upstream connection drops or
 * comes back. A subscription to a book the server does not know yet reads it from REST first.
 */
import type { Context } from './context.js';
import { admitted } from './feed-errors.js';
import type { DepthBook, PriceLevel } from '../feed/alltick/protocol.js';
import { endpointOf } from '../feed/alltick/symbols.js';
import { healthOf } from '../feed/health.js';
import { MAX_DEPTH_ARG, parseArg, parseSymbol, depthSchema } from './args.js';
import { builder } from './builder.js';
import { midOf, spreadOf } from './derived.js';
import { feedStream } from './feed-stream.js';
import { PriceLevelRef } from './quote.js';
import { primeFromRest, readSymbol } from './snapshot-read.js';

interface OrderBookItem {
  symbol: string;
  /** the depth the client asked for (part of the book's `id`) */
  depth: number;
  bids: PriceLevel[];
  asks: PriceLevel[];
  time: number;
  seq: string | null;
  stale: boolean;
}

const OrderBookRef = builder.objectRef<OrderBookItem>('OrderBook').implement({
  description: 'The order book of one symbol, best levels first.',
  fields: (t) => ({
    id: t.id({
      description:
        'Identity for client caches (Apollo, urql): the symbol and the depth asked for, `AAPL.US:10`, so books of one symbol at different depths are kept apart.',
      resolve: (book) => `${book.symbol}:${book.depth}`,
    }),
    symbol: t.exposeString('symbol'),
    bids: t.expose('bids', { type: [PriceLevelRef], description: 'Best (highest) first, at most `depth` levels.' }),
    asks: t.expose('asks', { type: [PriceLevelRef], description: 'Best (lowest) first, at most `depth` levels.' }),
    spread: t.field({ type: 'Decimal', nullable: true, description: 'Best ask − best bid, exact; null when a side is empty.', resolve: spreadOf }),
    mid: t.field({ type: 'Decimal', nullable: true, description: '(best bid + best ask) / 2, exact; null when a side is empty.', resolve: midOf }),
    time: t.expose('time', { type: 'DateTime', description: 'Upstream tick_time of this book.' }),
    seq: t.exposeString('seq', {
      nullable: true,
      description:
        'Upstream sequence number of this book; null on the repeat of the book that tells the upstream connection dropped or came back (`stale` changed), so a client never sees the same seq twice.',
    }),
    stale: t.exposeBoolean('stale', { description: "True while the upstream connection of the symbol's endpoint is down." }),
  }),
});

const bookDepthSchema = depthSchema.superRefine((d, ctx) => {
  if (d === 0) ctx.addIssue({ code: 'custom', message: `invalid depth 0: an order book needs 1..${MAX_DEPTH_ARG} levels` });
});

function bookItem(book: DepthBook, depth: number, stale: boolean): OrderBookItem {
  return { symbol: book.symbol, depth, bids: book.bids.slice(0, depth), asks: book.asks.slice(0, depth), time: book.time, seq: book.seq, stale };
}

builder.queryField('orderBook', (t) =>
  t.field({
    type: OrderBookRef,
    nullable: true,
    description: 'The order book of a symbol: live when upstream streams it, else a REST snapshot; null when AllTick has none.',
    args: { symbol: t.arg.string({ required: true }), depth: t.arg.int({ defaultValue: 5 }) },
    resolve: async (_root, a, ctx) => {
      const symbol = parseSymbol(a.symbol, ctx);
      const depth = parseArg(bookDepthSchema, a.depth, 'depth');
      const { snapshot, stale } = await readSymbol(ctx, symbol, { trade: false, bookDepth: depth });
      return snapshot?.book ? bookItem(snapshot.book, depth, stale) : null;
    },
  }),
);

builder.subscriptionField('orderBook', (t) =>
  t.field({
    type: OrderBookRef,
    description: 'The order book now (when known), then each time it changes.',
    args: { symbol: t.arg.string({ required: true }), depth: t.arg.int({ defaultValue: 5 }) },
    subscribe: (_root, a, ctx) => {
      const symbol = parseSymbol(a.symbol, ctx);
      const depth = parseArg(bookDepthSchema, a.depth, 'depth');
      return admitted(ctx.feed, [symbol], () => startBookStream(ctx, symbol, depth));
    },
    resolve: (book: OrderBookItem) => book,
  }),
);

/** An orderBook subscription's stream, once the symbol cap admitted it. */
function startBookStream(ctx: Context, symbol: string, depth: number) {
  const health = healthOf(ctx.status);
  const current = () => ctx.feed.snapshot(symbol)?.book;
  /** whether this subscription has sent a book yet */
  let sent = false;
  return feedStream<OrderBookItem>({
    name: 'orderBook',
    feed: ctx.feed,
    metrics: ctx.delivery,
    symbols: [symbol],
    depth,
    conflateKey: (b) => b.symbol,
    onUpdate: (snapshot, offer) => {
      if (snapshot.last.kind !== 'depth') return;
      sent = true;
      offer(bookItem(snapshot.last, depth, health.isStale(symbol)));
    },
    start: (offer, fresh) => {
      const book = current();
      let ended = false;
      // a book upstream did not stream is not live: REST has the current one (the cached one if REST has nothing newer)
      if (book && !fresh.includes(symbol)) {
        sent = true;
        offer(bookItem(book, depth, health.isStale(symbol)));
      } else {
        void primeFromRest(ctx, [symbol], { trade: false, book: true }).then(() => {
          const known = current();
          if (ended || sent || !known) return;
          sent = true;
          offer(bookItem(known, depth, health.isStale(symbol)));
        });
      }
      const stopHealth = health.onChange(({ endpoint, connected }) => {
        const known = current();
        if (endpoint === endpointOf(symbol) && known && sent) offer({ ...bookItem(known, depth, !connected), seq: null });
      });
      return () => {
        ended = true;
        stopHealth();
      };
    },
  });
}
