/** `Query.staticInfo(symbol)`: reference data of a stock from AllTick `/static_info` (cached for an hour). */
import { GraphQLError } from 'graphql';
import type { StaticInfo } from '../feed/alltick/rest.js';
import { isStockMarket, marketOf } from '../feed/alltick/symbols.js';
import { parseSymbol } from './args.js';
import { builder } from './builder.js';
import { fromUpstream } from './upstream-errors.js';
import { ErrorCode } from '../clients/error-codes.js';

const text = (description: string) => ({ nullable: true, description }) as const;

const StaticInfoRef = builder.objectRef<StaticInfo>('StaticInfo').implement({
  description: 'Reference data of a stock, as AllTick sends it (strings; null where upstream has none).',
  fields: (t) => ({
    symbol: t.exposeString('symbol'),
    nameEn: t.exposeString('nameEn', text('English name.')),
    nameCn: t.exposeString('nameCn', text('Simplified Chinese name.')),
    nameHk: t.exposeString('nameHk', text('Traditional Chinese name (HK stocks).')),
    board: t.exposeString('board', text('Listing board.')),
    exchange: t.exposeString('exchange', text('Exchange.')),
    currency: t.exposeString('currency', text('Trading currency.')),
    lotSize: t.exposeString('lotSize', text('Shares per board lot.')),
    totalShares: t.exposeString('totalShares', text('Total shares.')),
    circulatingShares: t.exposeString('circulatingShares', text('Shares in circulation.')),
    hkShares: t.exposeString('hkShares', text('HK-listed shares.')),
    eps: t.exposeString('eps', text('Earnings per share.')),
    epsTtm: t.exposeString('epsTtm', text('Earnings per share, trailing twelve months.')),
    bps: t.exposeString('bps', text('Book value per share.')),
    dividendYield: t.exposeString('dividendYield', text('Dividend yield, percent.')),
  }),
});

builder.queryField('staticInfo', (t) =>
  t.field({
    type: StaticInfoRef,
    nullable: true,
    description: 'Reference data of a stock (US, HK, SH, SZ) from AllTick; null when AllTick has none.',
    args: { symbol: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => {
      const symbol = parseSymbol(args.symbol, ctx);
      const market = marketOf(symbol);
      if (market === null || !isStockMarket(market)) {
        throw new GraphQLError(`staticInfo is only available for stocks (.US, .HK, .SH, .SZ); ${symbol} is a ${market} code`, {
          extensions: { code: ErrorCode.BadUserInput, argument: 'symbol' },
        });
      }
      return fromUpstream(ctx.loaders.staticInfo.load(symbol));
    },
  }),
);
