/**
 * AllTick symbol codes (alltick-protocol.md §5): format per market, which endpoint serves them,
 * and the deepest order book each market offers (§3.4). Codes are case-sensitive.
 */

export type Endpoint = 'stock' | 'quote';
export type Market = 'US' | 'HK' | 'SH' | 'SZ' | 'FOREX' | 'METAL' | 'ENERGY' | 'INDEX' | 'CRYPTO' | 'OTHER';

export const ENDPOINT_PATHS: Record<Endpoint, { ws: string; rest: string }> = {
  stock: { ws: '/quote-stock-b-ws-api', rest: '/quote-stock-b-api' },
  quote: { ws: '/quote-b-ws-api', rest: '/quote-b-api' },
};
export const ENDPOINTS: readonly Endpoint[] = ['stock', 'quote'];

const STOCK_PATTERNS: Record<'US' | 'HK' | 'SH' | 'SZ', RegExp> = {
  // AAPL.US, BRK.B.US, AACT.WS.US
  US: /^[A-Z][A-Z0-9]{0,9}(\.[A-Z]{1,3})?\.US$/,
  // 700.HK — no leading zeros
  HK: /^[1-9]\d{0,4}\.HK$/,
  SH: /^\d{6}\.SH$/,
  SZ: /^\d{6}\.SZ$/,
};
/** Non-stock codes are names: EURUSD, GOLD, Silver, US500, BTCUSDT. */
const QUOTE_PATTERN = /^[A-Za-z][A-Za-z0-9]{1,19}$/;

const METALS = new Set(['GOLD', 'Silver', 'Platinum', 'Palladium', 'COPPER', 'Aluminum', 'Nickel', 'Lead', 'Zinc']);
const ENERGY = new Set(['USOIL', 'UKOIL', 'NGAS']);
const INDICES = new Set([
  'US500',
  'US30',
  'NAS100',
  'UK100',
  'GER30',
  'FRA40',
  'JPN225',
  'HK50',
  'CHA50',
  'AUS200',
  'ESP35',
  'EUSTX50',
  'SMI',
  'ND25',
  'TWRIC',
  'SG20',
]);

/** Deepest book per market (§3.4): FX/metals/energy/CFD 1, crypto 5, HK 10, US 1, A-shares 5. */
export const MAX_DEPTH: Record<Market, number> = {
  US: 1,
  HK: 10,
  SH: 5,
  SZ: 5,
  FOREX: 1,
  METAL: 1,
  ENERGY: 1,
  INDEX: 1,
  CRYPTO: 5,
  OTHER: 1,
};

/** The market of a well-formed code, or null when the code is malformed. */
export function marketOf(code: string): Market | null {
  for (const [market, pattern] of Object.entries(STOCK_PATTERNS)) {
    if (pattern.test(code)) return market as Market;
  }
  if (!QUOTE_PATTERN.test(code)) return null;
  if (/\.|^\d/.test(code)) return null;
  if (METALS.has(code) || /^X(AU|AG|PT|PD)[A-Z]{3}$/.test(code)) return 'METAL';
  if (ENERGY.has(code)) return 'ENERGY';
  if (INDICES.has(code)) return 'INDEX';
  if (/^[A-Z0-9]{2,15}USDT$/.test(code)) return 'CRYPTO';
  if (/^[A-Z]{6}$/.test(code)) return 'FOREX';
  return 'OTHER';
}

export function isValidSymbol(code: string): boolean {
  return marketOf(code) !== null;
}

export function isStockMarket(market: Market): boolean {
  return market === 'US' || market === 'HK' || market === 'SH' || market === 'SZ';
}

/** Stocks go to the stock endpoint, everything else to quote-b (SPEC §5). */
export function endpointOf(code: string): Endpoint {
  const market = marketOf(code);
  return market !== null && isStockMarket(market) ? 'stock' : 'quote';
}

export function maxDepthOf(code: string): number {
  const market = marketOf(code);
  return market === null ? 1 : MAX_DEPTH[market];
}
