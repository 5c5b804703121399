/**
 * Candles: `Query.candles(symbol, interval, limit, before)` — AllTick K-line history merged with
 * the bars built live from trades (one per start time, oldest first) — and
 * `Subscription.candles(symbol, interval)` (candle-stream.ts), same Candle shape.
 */
import { admitted } from './feed-errors.js';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { isStockMarket, marketOf } from '../feed/alltick/symbols.js';
import { MAX_KLINE_LIMIT } from '../feed/alltick/rest.js';
import { INTERVALS, intervalOf, nextBarStart, unsupportedReason, type Interval, type IntervalName } from '../feed/candles/intervals.js';
import { mergeBars } from '../feed/candles/live-candles.js';
import { parseArg, parseSymbol } from './args.js';
import { builder } from './builder.js';
import { candleItem, candleStream, type CandleItem } from './candle-stream.js';
import type { Context } from './context.js';
import { fromUpstream } from './upstream-errors.js';
import { ErrorCode } from '../clients/error-codes.js';
import { encodeCursor, type Cursor } from '../feed/history/cursor.js';
import { AFTER_DESCRIPTION, resumeCursors, withStreamCursor } from './resume.js';

type CandleCursor = Extract<Cursor, { kind: 'candle' }>;
const candleCursor = (c: CandleItem): CandleCursor => ({ kind: 'candle', symbol: c.symbol, interval: c.interval.name, time: c.time });

const ENUM_NAMES: Record<IntervalName, string> = {
  '1m': 'MINUTE_1',
  '5m': 'MINUTE_5',
  '15m': 'MINUTE_15',
  '30m': 'MINUTE_30',
  '1h': 'HOUR_1',
  '2h': 'HOUR_2',
  '4h': 'HOUR_4',
  '1d': 'DAY_1',
  '1w': 'WEEK_1',
  '1M': 'MONTH_1',
};

const CandleIntervalEnum = builder.enumType('CandleInterval', {
  description: 'Candle length; AllTick kline_type in brackets. Stocks (US, HK, SH, SZ) have no HOUR_2 and HOUR_4.',
  values: Object.fromEntries(INTERVALS.map((i) => [ENUM_NAMES[i.name], { value: i.name, description: `${i.name} (kline_type ${i.klineType})` }])),
});

const CandleRef = builder.objectRef<CandleItem>('Candle').implement({
  description: 'One OHLCV bar. Prices and sums are exact decimals.',
  fields: (t) => ({
    symbol: t.exposeString('symbol'),
    interval: t.field({ type: CandleIntervalEnum, resolve: (c) => c.interval.name }),
    time: t.expose('time', { type: 'DateTime', description: 'Start of the bar (UTC; weeks start on Monday, months on the 1st).' }),
    open: t.expose('open', { type: 'Decimal' }),
    high: t.expose('high', { type: 'Decimal' }),
    low: t.expose('low', { type: 'Decimal' }),
    close: t.expose('close', { type: 'Decimal' }),
    volume: t.expose('volume', { type: 'Decimal' }),
    turnover: t.expose('turnover', { type: 'Decimal', description: 'Traded value (price × volume where upstream sends none).' }),
    final: t.exposeBoolean('final', { description: 'True once the interval has ended: the bar will not change any more.' }),
    cursor: t.string({
      nullable: true,
      description: 'On final bars: pass it as `after` to resume the `candles` stream after this bar. Null on forming bars.',
      resolve: (c) => (c.final ? encodeCursor(candleCursor(c)) : null),
    }),
    gap: t.boolean({
      description:
        'True on the first event after a resume whose cursor the server no longer reaches: final bars between that cursor and this ' +
        'event are missing (reload them with the `candles` query). Always false otherwise.',
      resolve: (c) => c.gap === true,
    }),
  }),
});

const limitSchema = z.number().int().min(1, 'limit must be at least 1').max(MAX_KLINE_LIMIT, `limit must be at most ${MAX_KLINE_LIMIT}`);

function checkInterval(symbol: string, interval: Interval): void {
  const reason = unsupportedReason(symbol, interval);
  if (reason) throw new GraphQLError(reason, { extensions: { code: ErrorCode.BadUserInput, argument: 'interval' } });
}

async function candles(ctx: Context, symbol: string, interval: Interval, limit: number, before: number | null): Promise<CandleItem[]> {
  // AllTick takes an end time only for FX, metals and crypto: stocks fetch the latest and cut here
  const market = marketOf(symbol);
  const stock = market !== null && isStockMarket(market);
  const endSeconds = before === null || stock ? 0 : Math.floor((before - 1) / 1000);
  const fetchLimit = before !== null && stock ? MAX_KLINE_LIMIT : limit;
  const upstream = await fromUpstream(ctx.loaders.candles.load({ symbol, klineType: interval.klineType, limit: fetchLimit, endSeconds }));
  const live = await ctx.feed.liveBars(symbol, interval);
  const now = Date.now();
  return mergeBars(upstream, live)
    .filter((bar) => before === null || bar.time < before)
    .slice(-limit)
    .map((bar) => candleItem(symbol, interval, bar, nextBarStart(interval, bar.time) <= now));
}

builder.queryField('candles', (t) =>
  t.field({
    type: [CandleRef],
    description:
      'The latest `limit` bars (1..500) starting before `before` (default: now), oldest first: AllTick K-lines, de-duplicated, ' +
      'merged with the bars built live from trades.',
    args: {
      symbol: t.arg.string({ required: true }),
      interval: t.arg({ type: CandleIntervalEnum, required: true }),
      limit: t.arg.int({ defaultValue: 100 }),
      before: t.arg({ type: 'DateTime' }),
    },
    resolve: (_root, args, ctx) => {
      const symbol = parseSymbol(args.symbol, ctx);
      const interval = intervalOf(args.interval);
      checkInterval(symbol, interval);
      const limit = parseArg(limitSchema, args.limit, 'limit');
      return candles(ctx, symbol, interval, limit, args.before ? args.before.getTime() : null);
    },
  }),
);

builder.subscriptionField('candles', (t) =>
  t.field({
    type: CandleRef,
    description:
      'The forming bar each time a trade changes it (`final: false`), and exactly one `final: true` bar per interval once it has ' +
      'ended, also when no trade came (a flat bar at the last price, volume 0). With `after` (the `cursor` of a final bar), first ' +
      'the final bars after it that this server kept.',
    args: {
      symbol: t.arg.string({ required: true }),
      interval: t.arg({ type: CandleIntervalEnum, required: true }),
      after: t.arg.stringList({ description: AFTER_DESCRIPTION }),
    },
    subscribe: (_root, args, ctx) => {
      const symbol = parseSymbol(args.symbol, ctx);
      const interval = intervalOf(args.interval);
      checkInterval(symbol, interval);
      const from = resumeCursors(args.after, ctx).filter((c): c is CandleCursor => c.kind === 'candle' && c.symbol === symbol && c.interval === interval.name);
      const after = from.reduce<number | undefined>((t, c) => Math.max(t ?? c.time, c.time), undefined);
      return admitted(ctx.feed, [symbol], () => {
        const source = candleStream(ctx.feed, symbol, interval, {
          metrics: ctx.delivery,
          seedPrice: async () => (await ctx.loaders.trade.load(symbol))?.price ?? null,
          ...(after !== undefined && { after }),
        });
        return withStreamCursor(ctx, source, from, (c) => (c.final ? candleCursor(c) : null));
      });
    },
    resolve: (candle: CandleItem) => candle,
  }),
);
