/**
 * A catalogue of real-format AllTick symbols (alltick-protocol.md §5) with plausible reference
 * data: name, reference price, tick size, lot size, price decimals. The simulator prices these;
 * the server may list them (e.g. a symbols query). It is illustrative, not AllTick's full product
 * list (that is a Google Sheet). Codes are case-sensitive (`Silver`, `Platinum`).
 */
import { MAX_DEPTH, endpointOf, marketOf, type Endpoint, type Market } from './symbols.js';

export interface CatalogueEntry {
  code: string;
  name: string;
  market: Market;
  endpoint: Endpoint;
  /** plausible reference price, formatted with exactly `decimals` decimals */
  price: string;
  /** minimum price step, a multiple of 10^-decimals */
  tickSize: string;
  /** decimals of every price of this symbol on the wire */
  decimals: number;
  /** shares per board lot (stocks), units per standard lot (FX 100000, GOLD 100 oz), 1 for crypto/CFD */
  lotSize: number;
  /** deepest order book (alltick-protocol.md §3.4) */
  maxDepth: number;
  currency: string;
  exchange?: string;
}

/** [code, name, price, tickSize, lotSize, currency, exchange?] — decimals come from `price`. */
type Row = readonly [string, string, string, string, number, string, string?];

const US: Row[] = [
  ['AAPL.US', 'Apple Inc.', '229.50', '0.01', 1, 'USD', 'NASDAQ'],
  ['MSFT.US', 'Microsoft Corporation', '421.30', '0.01', 1, 'USD', 'NASDAQ'],
  ['NVDA.US', 'NVIDIA Corporation', '135.20', '0.01', 1, 'USD', 'NASDAQ'],
  ['TSLA.US', 'Tesla, Inc.', '251.40', '0.01', 1, 'USD', 'NASDAQ'],
  ['GOOGL.US', 'Alphabet Inc. Class A', '171.80', '0.01', 1, 'USD', 'NASDAQ'],
  ['AMZN.US', 'Amazon.com, Inc.', '193.60', '0.01', 1, 'USD', 'NASDAQ'],
  ['META.US', 'Meta Platforms, Inc.', '563.10', '0.01', 1, 'USD', 'NASDAQ'],
  ['NFLX.US', 'Netflix, Inc.', '702.40', '0.01', 1, 'USD', 'NASDAQ'],
  ['AMD.US', 'Advanced Micro Devices, Inc.', '148.90', '0.01', 1, 'USD', 'NASDAQ'],
  ['INTC.US', 'Intel Corporation', '22.45', '0.01', 1, 'USD', 'NASDAQ'],
  ['BRK.B.US', 'Berkshire Hathaway Inc. Class B', '452.70', '0.01', 1, 'USD', 'NYSE'],
  ['JPM.US', 'JPMorgan Chase & Co.', '221.60', '0.01', 1, 'USD', 'NYSE'],
  ['V.US', 'Visa Inc.', '289.30', '0.01', 1, 'USD', 'NYSE'],
  ['UNH.US', 'UnitedHealth Group Incorporated', '521.80', '0.01', 1, 'USD', 'NYSE'],
  ['KO.US', 'The Coca-Cola Company', '63.20', '0.01', 1, 'USD', 'NYSE'],
  ['DIS.US', 'The Walt Disney Company', '95.70', '0.01', 1, 'USD', 'NYSE'],
  ['BABA.US', 'Alibaba Group Holding Limited ADR', '89.60', '0.01', 1, 'USD', 'NYSE'],
];

const HK: Row[] = [
  ['700.HK', 'Tencent Holdings Ltd.', '380.200', '0.200', 100, 'HKD', 'HKEX'],
  ['9988.HK', 'Alibaba Group Holding Ltd.', '80.150', '0.050', 100, 'HKD', 'HKEX'],
  ['1288.HK', 'Agricultural Bank of China Ltd.', '3.650', '0.010', 1000, 'HKD', 'HKEX'],
  ['857.HK', 'PetroChina Company Ltd.', '6.020', '0.010', 2000, 'HKD', 'HKEX'],
  ['3690.HK', 'Meituan', '152.300', '0.100', 100, 'HKD', 'HKEX'],
  ['5.HK', 'HSBC Holdings plc', '70.250', '0.050', 400, 'HKD', 'HKEX'],
  ['1299.HK', 'AIA Group Ltd.', '61.350', '0.050', 200, 'HKD', 'HKEX'],
  ['941.HK', 'China Mobile Ltd.', '74.800', '0.050', 500, 'HKD', 'HKEX'],
  ['388.HK', 'Hong Kong Exchanges and Clearing Ltd.', '301.400', '0.200', 100, 'HKD', 'HKEX'],
  ['1810.HK', 'Xiaomi Corporation', '18.260', '0.020', 200, 'HKD', 'HKEX'],
  ['2318.HK', 'Ping An Insurance (Group) Co. of China Ltd.', '45.600', '0.050', 500, 'HKD', 'HKEX'],
];

const A_SHARES: Row[] = [
  ['600519.SH', 'Kweichow Moutai Co., Ltd.', '1498.00', '0.01', 100, 'CNY', 'SSE'],
  ['600000.SH', 'Shanghai Pudong Development Bank Co., Ltd.', '10.12', '0.01', 100, 'CNY', 'SSE'],
  ['601318.SH', 'Ping An Insurance (Group) Co. of China Ltd.', '51.36', '0.01', 100, 'CNY', 'SSE'],
  ['600036.SH', 'China Merchants Bank Co., Ltd.', '39.85', '0.01', 100, 'CNY', 'SSE'],
  ['601398.SH', 'Industrial and Commercial Bank of China Ltd.', '6.92', '0.01', 100, 'CNY', 'SSE'],
  ['000001.SZ', 'Ping An Bank Co., Ltd.', '11.28', '0.01', 100, 'CNY', 'SZSE'],
  ['000858.SZ', 'Wuliangye Yibin Co., Ltd.', '132.45', '0.01', 100, 'CNY', 'SZSE'],
  ['002594.SZ', 'BYD Company Ltd.', '281.70', '0.01', 100, 'CNY', 'SZSE'],
  ['300750.SZ', 'Contemporary Amperex Technology Co., Ltd.', '252.30', '0.01', 100, 'CNY', 'SZSE'],
];

const FOREX: Row[] = [
  ['EURUSD', 'Euro / US Dollar', '1.08512', '0.00001', 100_000, 'USD'],
  ['GBPUSD', 'British Pound / US Dollar', '1.27043', '0.00001', 100_000, 'USD'],
  ['USDJPY', 'US Dollar / Japanese Yen', '150.215', '0.001', 100_000, 'JPY'],
  ['USDCNH', 'US Dollar / Offshore Chinese Yuan', '7.25120', '0.00001', 100_000, 'CNH'],
  ['AUDCAD', 'Australian Dollar / Canadian Dollar', '0.90531', '0.00001', 100_000, 'CAD'],
  ['AUDUSD', 'Australian Dollar / US Dollar', '0.66024', '0.00001', 100_000, 'USD'],
  ['USDCAD', 'US Dollar / Canadian Dollar', '1.36210', '0.00001', 100_000, 'CAD'],
  ['USDCHF', 'US Dollar / Swiss Franc', '0.88150', '0.00001', 100_000, 'CHF'],
  ['NZDUSD', 'New Zealand Dollar / US Dollar', '0.60112', '0.00001', 100_000, 'USD'],
  ['EURGBP', 'Euro / British Pound', '0.85402', '0.00001', 100_000, 'GBP'],
  ['EURJPY', 'Euro / Japanese Yen', '162.830', '0.001', 100_000, 'JPY'],
  ['GBPJPY', 'British Pound / Japanese Yen', '190.410', '0.001', 100_000, 'JPY'],
];

const METALS: Row[] = [
  ['GOLD', 'Gold Spot / US Dollar', '2651.35', '0.01', 100, 'USD'],
  ['Silver', 'Silver Spot / US Dollar', '31.052', '0.001', 5000, 'USD'],
  ['Platinum', 'Platinum Spot / US Dollar', '952.40', '0.01', 50, 'USD'],
  ['Palladium', 'Palladium Spot / US Dollar', '1003.80', '0.01', 100, 'USD'],
  ['COPPER', 'Copper', '4.5120', '0.0001', 25_000, 'USD'],
  ['Aluminum', 'Aluminium', '2512.50', '0.01', 25, 'USD'],
  ['Nickel', 'Nickel', '16120.00', '0.01', 6, 'USD'],
  ['XAUEUR', 'Gold Spot / Euro', '2443.18', '0.01', 100, 'EUR'],
  ['XAGEUR', 'Silver Spot / Euro', '28.615', '0.001', 5000, 'EUR'],
];

const ENERGY: Row[] = [
  ['USOIL', 'WTI Crude Oil', '70.215', '0.001', 1000, 'USD'],
  ['UKOIL', 'Brent Crude Oil', '74.108', '0.001', 1000, 'USD'],
  ['NGAS', 'Natural Gas', '3.0150', '0.0001', 10_000, 'USD'],
];

const INDICES: Row[] = [
  ['US500', 'US 500 Index CFD', '5812.4', '0.1', 1, 'USD'],
  ['US30', 'Wall Street 30 Index CFD', '42105.0', '0.1', 1, 'USD'],
  ['NAS100', 'US Tech 100 Index CFD', '20131.6', '0.1', 1, 'USD'],
  ['UK100', 'UK 100 Index CFD', '8215.3', '0.1', 1, 'GBP'],
  ['GER30', 'Germany 30 Index CFD', '19012.8', '0.1', 1, 'EUR'],
  ['FRA40', 'France 40 Index CFD', '7514.2', '0.1', 1, 'EUR'],
  ['JPN225', 'Japan 225 Index CFD', '38210.0', '0.1', 1, 'JPY'],
  ['HK50', 'Hong Kong 50 Index CFD', '20102.5', '0.1', 1, 'HKD'],
  ['CHA50', 'China A50 Index CFD', '13205.0', '0.1', 1, 'USD'],
  ['AUS200', 'Australia 200 Index CFD', '8203.7', '0.1', 1, 'AUD'],
];

const CRYPTO: Row[] = [
  ['BTCUSDT', 'Bitcoin / Tether', '95012.50', '0.01', 1, 'USDT'],
  ['ETHUSDT', 'Ethereum / Tether', '3312.45', '0.01', 1, 'USDT'],
  ['SOLUSDT', 'Solana / Tether', '201.36', '0.01', 1, 'USDT'],
  ['BNBUSDT', 'BNB / Tether', '652.10', '0.01', 1, 'USDT'],
  ['XRPUSDT', 'XRP / Tether', '2.2015', '0.0001', 1, 'USDT'],
  ['DOGEUSDT', 'Dogecoin / Tether', '0.35120', '0.00001', 1, 'USDT'],
  ['ADAUSDT', 'Cardano / Tether', '0.9012', '0.0001', 1, 'USDT'],
];

/** Number of decimals of a plain decimal string ("380.200" → 3). */
export function decimalsOf(decimal: string): number {
  const dot = decimal.indexOf('.');
  return dot < 0 ? 0 : decimal.length - dot - 1;
}

function toEntry([code, name, price, tickSize, lotSize, currency, exchange]: Row): CatalogueEntry {
  const market = marketOf(code);
  if (market === null) throw new Error(`catalogue: malformed code ${code}`);
  const entry: CatalogueEntry = {
    code,
    name,
    market,
    endpoint: endpointOf(code),
    price,
    tickSize,
    decimals: decimalsOf(price),
    lotSize,
    maxDepth: MAX_DEPTH[market],
    currency,
  };
  if (exchange !== undefined) entry.exchange = exchange;
  return entry;
}

export const CATALOGUE: readonly CatalogueEntry[] = Object.freeze(
  [...US, ...HK, ...A_SHARES, ...FOREX, ...METALS, ...ENERGY, ...INDICES, ...CRYPTO].map(toEntry),
);

const BY_CODE = new Map(CATALOGUE.map((e) => [e.code, e]));

/** The catalogue entry of a code (case-sensitive), or undefined. */
export function catalogueEntry(code: string): CatalogueEntry | undefined {
  return BY_CODE.get(code);
}
