/** The symbol catalogue: `Query.symbols(market, search, limit)`. */
import { CATALOGUE, type CatalogueEntry } from '../feed/alltick/catalogue.js';
import type { Market } from '../feed/alltick/symbols.js';
import { parseArg } from './args.js';
import { builder } from './builder.js';
import { z } from 'zod';

export const EndpointEnum = builder.enumType('Endpoint', {
  description: 'The AllTick WebSocket service a symbol belongs to.',
  values: {
    STOCK: { value: 'stock', description: 'US, HK and A-share stocks (/quote-stock-b-ws-api)' },
    QUOTE: { value: 'quote', description: 'Forex, metals, energy, CFD indices, crypto (/quote-b-ws-api)' },
  } as const,
});

export const MarketEnum = builder.enumType('Market', {
  values: {
    US: { value: 'US', description: 'US stocks, TICKER.US' },
    HK: { value: 'HK', description: 'Hong Kong stocks, 700.HK' },
    SH: { value: 'SH', description: 'Shanghai A-shares, 600519.SH' },
    SZ: { value: 'SZ', description: 'Shenzhen A-shares, 000001.SZ' },
    FOREX: { value: 'FOREX', description: 'Currency pairs, EURUSD' },
    METAL: { value: 'METAL', description: 'Precious and base metals, GOLD, Silver' },
    ENERGY: { value: 'ENERGY', description: 'Crude oil and gas, USOIL' },
    INDEX: { value: 'INDEX', description: 'CFD indices, US500' },
    CRYPTO: { value: 'CRYPTO', description: 'Crypto pairs, BTCUSDT' },
    OTHER: { value: 'OTHER', description: 'Other quote-b codes' },
  } as const satisfies Record<Market, { value: Market; description: string }>,
});

const SymbolInfoRef = builder.objectRef<CatalogueEntry>('SymbolInfo').implement({
  description: 'A symbol of the catalogue.',
  fields: (t) => ({
    symbol: t.exposeString('code', { description: 'The AllTick code, as used in every other field.' }),
    name: t.exposeString('name'),
    market: t.expose('market', { type: MarketEnum }),
    endpoint: t.expose('endpoint', { type: EndpointEnum }),
    maxDepth: t.exposeInt('maxDepth', { description: 'Deepest order book the market offers.' }),
    currency: t.exposeString('currency'),
    exchange: t.exposeString('exchange', { nullable: true }),
    tickSize: t.expose('tickSize', { type: 'Decimal' }),
    lotSize: t.exposeInt('lotSize'),
  }),
});

const limitSchema = z.number().int().min(1, 'limit must be at least 1').max(500, 'limit must be at most 500');

builder.queryField('symbols', (t) =>
  t.field({
    type: [SymbolInfoRef],
    description: 'Symbols of the catalogue, optionally of one market and matching a search (code or name, case-insensitive).',
    args: {
      market: t.arg({ type: MarketEnum }),
      search: t.arg.string(),
      limit: t.arg.int({ defaultValue: 50 }),
    },
    resolve: (_root, args) => {
      const limit = parseArg(limitSchema, args.limit, 'limit');
      const needle = args.search?.trim().toLowerCase() ?? '';
      return CATALOGUE.filter(
        (e) => (!args.market || e.market === args.market) && (!needle || e.code.toLowerCase().includes(needle) || e.name.toLowerCase().includes(needle)),
      ).slice(0, limit);
    },
  }),
);
