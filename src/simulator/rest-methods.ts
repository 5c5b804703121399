/**
 * The REST methods of alltick-protocol.md §4.2, as pure functions of the request `data`: each
 * returns `{ret, data}`. /trade-tick and /depth-tick report the current state of any code (on WS
 * or not); /kline history ends at the live price; /static_info is for stocks.
 */
import { z } from 'zod';
import { Ret, subscribeDataSchema } from '../feed/alltick/protocol.js';
import type { Endpoint } from '../feed/alltick/symbols.js';
import type { Instrument } from './instruments.js';
import { KLINE_TYPES, MAX_BATCH_KLINE_NUM, MAX_KLINE_NUM, STOCK_UNSUPPORTED_KLINE_TYPES, klineHistory, type Candle } from './kline.js';
import type { PriceModel } from './price-model.js';
import { hashString, hashUnit } from './random.js';
import { servesCode } from './rules.js';

export interface MethodContext {
  endpoint: Endpoint;
  model: PriceModel;
  /** codes per /trade-tick, /depth-tick, /static_info call; null = no limit */
  codesPerCall: number | null;
  /** refuse codes outside the catalogue (SimulatorOptions.catalogueOnly) */
  catalogueOnly: boolean;
  /** groups per /batch-kline call; null = no limit */
  batchGroups: number | null;
  now: number;
}

export interface MethodResult {
  ret: number;
  data: object;
}

const fail = (ret: number): MethodResult => ({ ret, data: {} });

/** uint that may come as a number or a digit string */
const uint = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);

const klineItemSchema = z.object({
  code: z.string(),
  kline_type: uint.pipe(z.number().refine((n) => (KLINE_TYPES as readonly number[]).includes(n), 'kline_type 1..10')),
  kline_timestamp_end: uint.optional().default(0),
  query_kline_num: uint.pipe(z.number().min(1)).optional().default(1),
  adjust_type: uint.optional().default(0),
});
type KlineItem = z.infer<typeof klineItemSchema>;

export const batchKlineDataSchema = z.object({ data_list: z.array(klineItemSchema).min(1) });

/** Codes of a symbol_list request, or the ret that refuses it (bad shape 400, bad code 600, too many 603). */
function requestedCodes(data: unknown, ctx: MethodContext): string[] | MethodResult {
  const parsed = subscribeDataSchema.safeParse(data);
  if (!parsed.success || parsed.data.symbol_list.length === 0) return fail(Ret.ParamInvalid);
  const codes = parsed.data.symbol_list.map((e) => e.code);
  if (codes.some((c) => !servesCode(c, ctx))) return fail(Ret.CodeInvalid);
  if (ctx.codesPerCall !== null && codes.length > ctx.codesPerCall) return fail(Ret.TokenLevelNotEnough);
  return codes;
}

export function tradeTick(data: unknown, ctx: MethodContext): MethodResult {
  const codes = requestedCodes(data, ctx);
  if (!Array.isArray(codes)) return codes;
  return { ret: Ret.Ok, data: { tick_list: codes.map((c) => ctx.model.currentTrade(c)) } };
}

export function depthTick(data: unknown, ctx: MethodContext): MethodResult {
  const codes = requestedCodes(data, ctx);
  if (!Array.isArray(codes)) return codes;
  return { ret: Ret.Ok, data: { tick_list: codes.map((c) => ctx.model.currentDepth(c)) } };
}

function candlesOf(item: KlineItem, ctx: MethodContext, maxNum: number): Candle[] | MethodResult {
  if (!servesCode(item.code, ctx)) return fail(Ret.CodeInvalid);
  const inst = ctx.model.instrument(item.code) as Instrument;
  if (inst.assetClass === 'stock' && STOCK_UNSUPPORTED_KLINE_TYPES.includes(item.kline_type)) return fail(Ret.ParamInvalid);
  ctx.model.catchUp(item.code);
  const end = item.kline_timestamp_end > 1e11 ? Math.floor(item.kline_timestamp_end / 1000) : item.kline_timestamp_end;
  const count = Math.min(item.query_kline_num, maxNum);
  return klineHistory(inst, ctx.model.midUnits(item.code) as number, { klineType: item.kline_type, endSeconds: end, count }, ctx.now);
}

export function kline(data: unknown, ctx: MethodContext): MethodResult {
  const parsed = klineItemSchema.safeParse(data);
  if (!parsed.success) return fail(Ret.ParamInvalid);
  const candles = candlesOf(parsed.data, ctx, MAX_KLINE_NUM);
  if (!Array.isArray(candles)) return candles;
  return { ret: Ret.Ok, data: { code: parsed.data.code, kline_type: parsed.data.kline_type, kline_list: candles } };
}

/** One bad item fails the whole batch (third-party report, §4.2); at most 2 candles per item. */
export function batchKline(data: unknown, ctx: MethodContext): MethodResult {
  const parsed = batchKlineDataSchema.safeParse(data);
  if (!parsed.success) return fail(Ret.ParamInvalid);
  const items = parsed.data.data_list;
  if (ctx.batchGroups !== null && items.length > ctx.batchGroups) return fail(Ret.TokenLevelNotEnough);
  const kline_list = [];
  for (const item of items) {
    const candles = candlesOf(item, ctx, MAX_BATCH_KLINE_NUM);
    if (!Array.isArray(candles)) return candles;
    kline_list.push({ code: item.code, kline_type: item.kline_type, kline_data: candles });
  }
  return { ret: Ret.Ok, data: { kline_list } };
}

function board(inst: Instrument): string {
  const { code, market } = inst.entry;
  if (market === 'US') return inst.entry.exchange ?? 'US';
  if (market === 'HK') return 'HK Main Board';
  if (market === 'SH') return code.startsWith('688') ? 'STAR Market' : 'SH Main Board';
  return code.startsWith('300') ? 'ChiNext' : 'SZ Main Board';
}

/** §4.2 static_info fields, all strings; fundamentals are made up, deterministic per code. */
function staticInfo(inst: Instrument): Record<string, string> {
  const { entry } = inst;
  const h = hashString(entry.code);
  const u = (i: number) => hashUnit(h, i);
  const price = inst.refUnits / 10 ** inst.decimals;
  const totalShares = Math.round((1e8 + u(1) * 2e10) / 1000) * 1000;
  const eps = price / (10 + u(2) * 30);
  return {
    board: board(inst),
    bps: (price / (1 + u(3) * 7)).toFixed(4),
    circulating_shares: String(Math.round(totalShares * (0.6 + u(4) * 0.4))),
    currency: entry.currency,
    dividend_yield: (u(5) * 5).toFixed(2),
    eps: eps.toFixed(4),
    eps_ttm: (eps * (0.9 + u(6) * 0.2)).toFixed(4),
    exchange: entry.exchange ?? '',
    hk_shares: entry.market === 'HK' ? String(totalShares) : '0',
    lot_size: String(entry.lotSize),
    name_cn: entry.name,
    name_en: entry.name,
    name_hk: entry.market === 'HK' ? entry.name : '',
    symbol: entry.code,
    total_shares: String(totalShares),
  };
}

export function staticInfoMethod(data: unknown, ctx: MethodContext): MethodResult {
  const codes = requestedCodes(data, ctx);
  if (!Array.isArray(codes)) return codes;
  return { ret: Ret.Ok, data: { static_info_list: codes.map((c) => staticInfo(ctx.model.instrument(c) as Instrument)) } };
}
