/**
 * SPEC §4: the Quote type, the `quote` / `quotes` snapshot queries and the `quotes` subscription,
 * plus added fields: `stale`, `event` (in-band feed status), `spread`, `mid`, `previousClose`,
 * `change`, `changePercent`. Queries answer from the last-value cache for symbols upstream
 * streams, and from AllTick REST for the others; they never subscribe upstream.
 */
import { admitted } from './feed-errors.js';
import type { PriceLevel } from '../feed/alltick/protocol.js';
import { quoteView } from '../feed/cache.js';
import { healthOf } from '../feed/health.js';
import { parseDepth, parseSymbol, parseSymbols } from './args.js';
import { builder } from './builder.js';
import type { Context } from './context.js';
import { changeOf, changePercentOf, midOf, spreadOf } from './derived.js';
import { QUOTES_STREAM, quoteCursor, quoteStream, type QuoteItem } from './quote-stream.js';
import { encodeCursor, type Cursor } from '../feed/history/cursor.js';
import { AFTER_DESCRIPTION, resumeCursors, withStreamCursor } from './resume.js';
import { primeFromRest, readSymbol } from './snapshot-read.js';
import { fromUpstream } from './upstream-errors.js';
import { parseThrottleMs, THROTTLE_MS_DESCRIPTION } from './throttle.js';
import { sharedStream } from '../stream/shared-streams.js';

export const PriceLevelRef = builder.objectRef<PriceLevel>('PriceLevel').implement({
  description: 'One level of an order book.',
  fields: (t) => ({
    price: t.expose('price', { type: 'Decimal' }),
    volume: t.expose('volume', { type: 'Decimal' }),
  }),
});

const QuoteEventEnum = builder.enumType('QuoteEvent', {
  description: 'Why a quote was sent.',
  values: {
    SNAPSHOT: {
      value: 'snapshot',
      description:
        'The state known when asked: queries, and the first event of each symbol of a subscription (from the live cache, or from REST for a symbol the server had no live value for, or when joining a running stream). Ticks follow.',
    },
    TICK: { value: 'tick', description: 'A new trade or order book arrived.' },
    FEED_DOWN: {
      value: 'feed_down',
      description: "The upstream connection of the symbol's endpoint was lost: values are stale until FEED_UP. A status event: its `seq` is null.",
    },
    FEED_UP: {
      value: 'feed_up',
      description: 'The upstream connection is back and has acknowledged the symbol lists again: ticks resume. A status event: its `seq` is null.',
    },
  } as const,
});

const previousClose = (q: QuoteItem, ctx: Context) => (q.price === null ? null : fromUpstream(ctx.loaders.previousClose.load(q.symbol)));

export const QuoteRef = builder.objectRef<QuoteItem>('Quote').implement({
  description: 'The latest known state of one symbol: last trade and top of the order book.',
  fields: (t) => ({
    id: t.id({
      description:
        'Identity for client caches (Apollo, urql): the symbol and the depth asked for, `AAPL.US:5`, so views of one symbol at different depths are kept apart.',
      resolve: (quote) => `${quote.symbol}:${quote.depth}`,
    }),
    symbol: t.exposeString('symbol'),
    price: t.expose('price', { type: 'Decimal', nullable: true, description: 'Last trade price; null until a trade is known.' }),
    volume: t.expose('volume', { type: 'Decimal', nullable: true, description: 'Volume of the last trade.' }),
    time: t.expose('time', { type: 'DateTime', nullable: true, description: 'Upstream tick_time of the latest update for this symbol.' }),
    seq: t.exposeString('seq', {
      nullable: true,
      description:
        'Upstream sequence number of that update; null until one is known and on status events (FEED_DOWN / FEED_UP), so a client never sees the same seq twice.',
    }),
    bids: t.expose('bids', { type: [PriceLevelRef], description: 'Best first, at most `depth` levels.' }),
    asks: t.expose('asks', { type: [PriceLevelRef], description: 'Best first, at most `depth` levels.' }),
    bookKnown: t.exposeBoolean('bookKnown', {
      description:
        'True when `bids` / `asks` are the order book (a side may really be empty); false while the book is not known yet (e.g. a cold symbol before its first book) or `depth` is 0: empty sides then mean "unknown", not "empty".',
    }),
    stale: t.exposeBoolean('stale', {
      description: "True while the upstream connection of the symbol's endpoint is down: the values are the last known, not live.",
    }),
    event: t.expose('event', { type: QuoteEventEnum, description: 'Why this quote was sent (FEED_DOWN / FEED_UP: in-band feed status).' }),
    spread: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Best ask − best bid, exact; null when `depth` is 0 or a side is empty.',
      resolve: spreadOf,
    }),
    mid: t.field({
      type: 'Decimal',
      nullable: true,
      description: '(best bid + best ask) / 2, exact; null when `depth` is 0 or a side is empty.',
      resolve: midOf,
    }),
    previousClose: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Close of the last daily candle before today (UTC), from AllTick K-lines, cached per day.',
      resolve: (q, _args, ctx) => previousClose(q, ctx),
    }),
    change: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'price − previousClose, exact.',
      resolve: async (q, _args, ctx) => changeOf(q.price, await previousClose(q, ctx)),
    }),
    changePercent: t.field({
      type: 'Decimal',
      nullable: true,
      description: '(price − previousClose) / previousClose × 100, rounded half away from zero to 4 decimals.',
      resolve: async (q, _args, ctx) => changePercentOf(q.price, await previousClose(q, ctx)),
    }),
    cursor: t.string({
      description:
        'Names the state this quote shows (last trade, last book, staleness): pass it as `after` to resume the `quotes` stream, which ' +
        'then sends a SNAPSHOT only for symbols whose state changed since.',
      resolve: (quote) => encodeCursor(quoteCursor(quote)),
    }),
    conflated: t.boolean({
      description:
        'True when earlier updates of this symbol were skipped and this event carries the latest value instead: the subscription asked for `throttleMs`, or the client read too slowly (docs/operations.md, "Slow consumers"). Always false in queries.',
      resolve: (quote) => quote.conflated === true,
    }),
  }),
});

async function snapshotQuote(ctx: Context, symbol: string, depth: number): Promise<QuoteItem | null> {
  const { snapshot, stale } = await readSymbol(ctx, symbol, { trade: true, bookDepth: depth });
  return snapshot ? { ...quoteView(snapshot, depth), depth, stale, event: 'snapshot' } : null;
}

builder.queryFields((t) => ({
  quote: t.field({
    type: QuoteRef,
    nullable: true,
    description: 'The quote of one symbol: from the live cache when upstream streams it, else a REST snapshot; null when AllTick has no data for it.',
    args: { symbol: t.arg.string({ required: true }), depth: t.arg.int({ defaultValue: 5 }) },
    resolve: (_root, args, ctx) => snapshotQuote(ctx, parseSymbol(args.symbol, ctx), parseDepth(args.depth)),
  }),
  quotes: t.field({
    type: [QuoteRef],
    nullable: { list: false, items: true },
    description:
      'Quotes, one per symbol asked, in the order asked (a symbol given twice is answered twice, so results match by position; ' +
      'it counts once toward the symbol limit); see `quote`. All cold symbols of one request share one REST call per endpoint.',
    args: { symbols: t.arg.stringList({ required: true }), depth: t.arg.int({ defaultValue: 5 }) },
    resolve: (_root, args, ctx) => {
      parseSymbols(args.symbols, ctx); // validates each symbol, its market and the count of distinct ones
      const depth = parseDepth(args.depth);
      // the per-request loaders fetch a repeated symbol once
      return args.symbols.map((symbol) => snapshotQuote(ctx, symbol, depth));
    },
  }),
}));

builder.subscriptionFields((t) => ({
  quotes: t.field({
    type: QuoteRef,
    description:
      'One event each time any of the symbols changes. The first event of each symbol is a SNAPSHOT of its current state: at once when the server knows it, else read from AllTick REST (with the book when `depth` ≥ 1) while the upstream subscription waits for its slot; TICKs follow. ' +
      "When a symbol's upstream connection drops or comes back, an event with `event: FEED_DOWN` / `FEED_UP` and `stale` tells so. " +
      'With `after` (the last `cursor` per symbol), the first event of a symbol is a SNAPSHOT only when its state changed since.',
    args: {
      symbols: t.arg.stringList({ required: true }),
      depth: t.arg.int({ defaultValue: 5 }),
      throttleMs: t.arg.int({ description: THROTTLE_MS_DESCRIPTION }),
      after: t.arg.stringList({ description: AFTER_DESCRIPTION }),
    },
    extensions: sharedStream(QUOTES_STREAM),
    subscribe: (_root, args, ctx) => {
      const symbols = parseSymbols(args.symbols, ctx);
      const depth = parseDepth(args.depth);
      const throttleMs = parseThrottleMs(args.throttleMs);
      const prime = (cold: string[], book: boolean) => primeFromRest(ctx, cold, { trade: true, book });
      const from = resumeCursors(args.after, ctx).filter((c): c is Extract<Cursor, { kind: 'quote' }> => c.kind === 'quote' && symbols.includes(c.symbol));
      const resumeFrom = new Map(from.map((c) => [c.symbol, c]));
      return admitted(ctx.feed, symbols, () => {
        const source = quoteStream(ctx.feed, symbols, depth, healthOf(ctx.status), { metrics: ctx.delivery, throttleMs, prime, resumeFrom });
        return withStreamCursor(ctx, source, from, (quote) => quoteCursor(quote));
      });
    },
    resolve: (quote: QuoteItem) => quote,
  }),
}));
