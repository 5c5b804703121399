/**
 * What the simulator knows about a symbol: its catalogue entry (or one synthesized for a
 * well-formed code the catalogue lacks, for the model; the protocol refuses those with ret 600) plus the behaviour of its
 * asset class: volatility, whether trades carry a direction, whether book volumes mean anything.
 */
import { catalogueEntry, type CatalogueEntry } from '../feed/alltick/catalogue.js';
import { MAX_DEPTH, endpointOf, marketOf, type Market } from '../feed/alltick/symbols.js';
import { formatUnits, toUnits } from './decimal.js';
import { hashString } from './random.js';

export type AssetClass = 'stock' | 'fx' | 'metal' | 'energy' | 'index' | 'crypto' | 'other';

export interface Instrument {
  entry: CatalogueEntry;
  synthetic: boolean;
  assetClass: AssetClass;
  decimals: number;
  /** tick size in units of 10^-decimals */
  tickUnits: number;
  /** reference price in units */
  refUnits: number;
  /** std-dev of one live step, as a fraction of the price */
  stepVolatility: number;
  /** std-dev of one day, as a fraction of the price (k-line history) */
  dailyVolatility: number;
  /** stocks and crypto report trade_direction 0/1/2; FX, metals, energy and CFD indices always 0 */
  directional: boolean;
  /** book volumes are real (stocks, crypto); "0" otherwise (§3.4, §7.6) */
  bookVolume: boolean;
  /** decimals of a trade volume */
  volumeDecimals: number;
}

const CLASS_OF: Record<Market, AssetClass> = {
  US: 'stock',
  HK: 'stock',
  SH: 'stock',
  SZ: 'stock',
  FOREX: 'fx',
  METAL: 'metal',
  ENERGY: 'energy',
  INDEX: 'index',
  CRYPTO: 'crypto',
  OTHER: 'other',
};

const BEHAVIOUR: Record<AssetClass, Pick<Instrument, 'stepVolatility' | 'dailyVolatility' | 'directional' | 'bookVolume' | 'volumeDecimals'>> = {
  stock: { stepVolatility: 0.0003, dailyVolatility: 0.02, directional: true, bookVolume: true, volumeDecimals: 0 },
  fx: { stepVolatility: 0.00004, dailyVolatility: 0.005, directional: false, bookVolume: false, volumeDecimals: 2 },
  metal: { stepVolatility: 0.0001, dailyVolatility: 0.01, directional: false, bookVolume: false, volumeDecimals: 2 },
  energy: { stepVolatility: 0.00015, dailyVolatility: 0.02, directional: false, bookVolume: false, volumeDecimals: 2 },
  index: { stepVolatility: 0.0001, dailyVolatility: 0.01, directional: false, bookVolume: false, volumeDecimals: 2 },
  crypto: { stepVolatility: 0.0004, dailyVolatility: 0.035, directional: true, bookVolume: true, volumeDecimals: 4 },
  other: { stepVolatility: 0.0002, dailyVolatility: 0.015, directional: false, bookVolume: false, volumeDecimals: 2 },
};

/** A plausible made-up entry for a well-formed code missing from the catalogue. */
function synthesize(code: string, market: Market): CatalogueEntry {
  const h = hashString(code);
  const pick = (min: number, max: number) => min + ((h % 10_000) / 10_000) * (max - min);
  const base = { code, name: code, market, endpoint: endpointOf(code), maxDepth: MAX_DEPTH[market] };
  const make = (price: number, tickSize: string, decimals: number, lotSize: number, currency: string, exchange?: string) => {
    const tick = toUnits(tickSize, decimals);
    const units = Math.max(tick, Math.round((price * 10 ** decimals) / tick) * tick);
    const entry: CatalogueEntry = { ...base, price: formatUnits(units, decimals), tickSize, decimals, lotSize, currency };
    if (exchange !== undefined) entry.exchange = exchange;
    return entry;
  };
  switch (market) {
    case 'US':
      return make(pick(10, 500), '0.01', 2, 1, 'USD');
    case 'HK': {
      const p = pick(1, 200);
      return make(p, p < 10 ? '0.010' : p < 20 ? '0.020' : p < 100 ? '0.050' : '0.100', 3, 100, 'HKD', 'HKEX');
    }
    case 'SH':
    case 'SZ':
      return make(pick(5, 100), '0.01', 2, 100, 'CNY', market === 'SH' ? 'SSE' : 'SZSE');
    case 'FOREX':
      return code.endsWith('JPY') ? make(pick(80, 200), '0.001', 3, 100_000, 'JPY') : make(pick(0.5, 2), '0.00001', 5, 100_000, code.slice(3));
    case 'METAL':
      if (code.startsWith('XAG')) return make(pick(25, 35), '0.001', 3, 5000, code.slice(3));
      return make(code.startsWith('XAU') ? pick(2000, 3000) : pick(800, 1200), '0.01', 2, 100, code.slice(3) || 'USD');
    case 'ENERGY':
      return make(pick(2, 90), '0.001', 3, 1000, 'USD');
    case 'INDEX':
      return make(pick(1000, 40_000), '0.1', 1, 1, 'USD');
    case 'CRYPTO':
      return make(pick(0.1, 100), '0.0001', 4, 1, 'USDT');
    case 'OTHER':
      return make(pick(1, 100), '0.01', 2, 1, 'USD');
  }
}

/** The instrument of a well-formed code, or null when the code is malformed. */
export function instrumentOf(code: string): Instrument | null {
  const market = marketOf(code);
  if (market === null) return null;
  const known = catalogueEntry(code);
  const entry = known ?? synthesize(code, market);
  const assetClass = CLASS_OF[market];
  const decimals = entry.decimals;
  return {
    entry,
    synthetic: known === undefined,
    assetClass,
    decimals,
    tickUnits: toUnits(entry.tickSize, decimals),
    refUnits: toUnits(entry.price, decimals),
    ...BEHAVIOUR[assetClass],
  };
}
