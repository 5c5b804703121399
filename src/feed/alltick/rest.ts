/**
 * AllTick REST client, the legacy token-in-query API (alltick-protocol.md §4.1, §4.2): tick
 * snapshots, K-lines and stock static info. Every call goes through the plan's rate limiter (§4.4);
 * every response is parsed with JSON.parse and validated with zod before anything is returned.
 * The token travels only in the query string and never appears in an error or a log line.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { AllTickError, redactToken } from './errors.js';
import type { Plan } from './plans.js';
import {
  depthPushDataSchema,
  describe,
  Ret,
  RET_MESSAGES,
  toDepthBook,
  toTrade,
  tradePushDataSchema,
  type DepthBook,
  type Trade,
  decimalString,
  tickTimeValue,
} from './protocol.js';
import { BATCH_KLINE_METHOD, RateLimiter, type RestLimiter } from './rate-limiter.js';
import { ENDPOINT_PATHS, endpointOf, isStockMarket, marketOf, type Endpoint } from './symbols.js';
import type { LogSink } from '../../logger.js';

export type RestMethod = '/trade-tick' | '/depth-tick' | '/kline' | '/batch-kline' | '/static_info';

// ---------------------------------------------------------------------------------------------
// Wire schemas

/** The wire scalars of the tick schemas: decimals kept as exact strings, times in ms. */
const decimal = decimalString;
const epochMs = tickTimeValue;
const intValue = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d{1,9}$/)
    .transform(Number),
]);
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

export const restEnvelopeSchema = z.object({
  ret: intValue,
  msg: z.string().optional().default(''),
  trace: z.string().optional(),
  data: z.unknown(),
});

/** Body of an HTTP error answer, e.g. 401 `{"msg":"token is required","ret":401}`; anything else is ignored. */
const errorBodySchema = z.object({ msg: z.string().optional(), ret: intValue.optional() });

export const tradeTickDataSchema = z.object({ tick_list: list(tradePushDataSchema) });
export const depthTickDataSchema = z.object({ tick_list: list(depthPushDataSchema) });

/** One candle on the wire: `timestamp` in epoch seconds (ms accepted), all numerics decimal strings. */
export const candleWireSchema = z
  .object({
    timestamp: epochMs,
    open_price: decimal,
    high_price: decimal,
    low_price: decimal,
    close_price: decimal,
    // FX/metals/indices have no meaningful volume; tolerate them missing, as depth levels do
    volume: decimal.optional().default('0'),
    turnover: decimal.optional().default('0'),
  })
  .transform((c): Candle => ({
    time: c.timestamp,
    open: c.open_price,
    high: c.high_price,
    low: c.low_price,
    close: c.close_price,
    volume: c.volume,
    turnover: c.turnover,
  }));

export const klineDataSchema = z.object({
  code: z.string().optional(),
  kline_type: intValue.optional(),
  kline_list: list(candleWireSchema),
});

export const batchKlineDataSchema = z.object({
  kline_list: list(z.object({ code: z.string(), kline_type: intValue, kline_data: list(candleWireSchema) })),
});

const infoText = z
  .union([z.string(), z.number().finite().transform(String)])
  .nullish()
  .transform((v) => v ?? null);

export const staticInfoWireSchema = z
  .object({
    symbol: z.string().min(1),
    name_en: infoText,
    name_cn: infoText,
    name_hk: infoText,
    board: infoText,
    exchange: infoText,
    currency: infoText,
    lot_size: infoText,
    total_shares: infoText,
    circulating_shares: infoText,
    hk_shares: infoText,
    eps: infoText,
    eps_ttm: infoText,
    bps: infoText,
    dividend_yield: infoText,
  })
  .transform((s): StaticInfo => ({
    symbol: s.symbol,
    nameEn: s.name_en,
    nameCn: s.name_cn,
    nameHk: s.name_hk,
    board: s.board,
    exchange: s.exchange,
    currency: s.currency,
    lotSize: s.lot_size,
    totalShares: s.total_shares,
    circulatingShares: s.circulating_shares,
    hkShares: s.hk_shares,
    eps: s.eps,
    epsTtm: s.eps_ttm,
    bps: s.bps,
    dividendYield: s.dividend_yield,
  }));

export const staticInfoDataSchema = z.object({ static_info_list: list(staticInfoWireSchema) });

// ---------------------------------------------------------------------------------------------
// Normalized results

export interface Candle {
  /** epoch milliseconds of the bar start */
  time: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  turnover: string;
}

/** Static info of a stock (§4.2 `/static_info`); upstream sends strings, null where a field is missing. */
export interface StaticInfo {
  symbol: string;
  nameEn: string | null;
  nameCn: string | null;
  nameHk: string | null;
  board: string | null;
  exchange: string | null;
  currency: string | null;
  lotSize: string | null;
  totalShares: string | null;
  circulatingShares: string | null;
  hkShares: string | null;
  eps: string | null;
  epsTtm: string | null;
  bps: string | null;
  dividendYield: string | null;
}

export interface KlineRequest {
  code: string;
  /** 1=1m, 2=5m, 3=15m, 4=30m, 5=1h, 6=2h, 7=4h, 8=1d, 9=1w, 10=1M (§4.2; stocks have no 6 and 7) */
  klineType: number;
  /** 1..500 candles */
  limit: number;
  /** epoch seconds; 0 or absent = latest (only FX, metals and crypto accept another value) */
  endTimestamp?: number;
}

export interface BatchKlineItem {
  code: string;
  klineType: number;
  limit: number;
}

export const MAX_KLINE_LIMIT = 500;

/** Key of `batchKline`'s result map. */
export function klineKey(code: string, klineType: number): string {
  return `${code}:${klineType}`;
}

// ---------------------------------------------------------------------------------------------
// Client

export type RestLogger = Pick<LogSink, 'warn' | 'debug'>;

export interface AllTickRestClientOptions {
  /** e.g. https://quote.alltick.co (the client appends /quote-stock-b-api/… and /quote-b-api/…) */
  baseUrl: string;
  token: string;
  plan: Plan;
  fetch?: typeof fetch;
  /** per HTTP request, from sending to the end of the body; default 10 s */
  timeoutMs?: number;
  /** largest answer body read; a longer one is aborted while it streams (UPSTREAM_REST_MAX_BYTES) */
  maxBodyBytes?: number;
  logger?: RestLogger;
  /** clock of the limiter the client builds when none is given */
  now?: () => number;
  /** share one limiter between all clients of one token; default: a limiter for `plan` */
  limiter?: RestLimiter;
  /** told after every failed call (status changed) */
  onFailure?: () => void;
}

/**
 * Answers after which the client pauses all calls: ret 429/605/606 here, and HTTP 429 or 5xx.
 * Other errors (bad code, bad token…) do not slow other calls down.
 */
/** 8 MiB: far more than the largest legitimate answer (a batch of K-lines), far less than harm. */
export const DEFAULT_REST_MAX_BYTES = 8 * 1024 * 1024;

/** An answer body over the cap: the read was aborted. */
class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/**
 * The body as text, read chunk by chunk and abandoned (the connection cancelled) as soon as it
 * passes `maxBytes`, so an endless or huge answer never sits in memory; a Content-Length over the
 * cap is refused before reading.
 */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(`answer of ${declared} bytes is over the ${maxBytes}-byte cap`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(`answer over the ${maxBytes}-byte cap (aborted after ${bytes} bytes)`);
    }
    text += decoder.decode(value, { stream: true });
  }
}

const RATE_LIMIT_RETS = new Set<number>([Ret.RateLimit, Ret.TooManyRequests, Ret.TooManyRequestsClosed]);
const MAX_BACKOFF_MS = 60_000;

/** The REST side's health, for feedStatus: whether calls are paused, and the latest failure. */
export interface RestStatus {
  /** epoch ms until which every call waits after rate limiting or server errors; null when not paused */
  pausedUntil: number | null;
  /** rate-limit / server-error answers in a row */
  failures: number;
  lastError: { ret: number; message: string; at: number; operation: string; codes: string[] } | null;
}

export class AllTickRestClient {
  readonly limiter: RestLimiter;
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly plan: Plan;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly logger: RestLogger | undefined;
  /** consecutive rate-limit / server-error answers, for the exponential backoff */
  private failures = 0;
  private lastError: RestStatus['lastError'] = null;
  private readonly onFailure: (() => void) | undefined;

  constructor(options: AllTickRestClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.plan = options.plan;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_REST_MAX_BYTES;
    this.logger = options.logger;
    this.limiter = options.limiter ?? new RateLimiter({ limits: options.plan, now: options.now });
    this.onFailure = options.onFailure;
    if (!options.fetch) warmUpFetch();
  }

  status(): RestStatus {
    const remaining = this.limiter.backoffRemainingMs();
    return { pausedUntil: remaining > 0 ? Date.now() + remaining : null, failures: this.failures, lastError: this.lastError };
  }

  /** Keeps the latest failure (already redacted) for status, and tells the listener. */
  private failed<E extends Error>(error: E, method: RestMethod, ret: number): E {
    this.lastError = { ret, message: error.message, at: Date.now(), operation: method, codes: [] };
    this.onFailure?.();
    return error;
  }

  /** Latest trade of each code (codes without data are absent). */
  async tradeTicks(codes: readonly string[]): Promise<Trade[]> {
    const lists = await this.perCodeChunks('/trade-tick', codes, tradeTickDataSchema);
    return lists.flatMap((d) => d.tick_list.map(toTrade));
  }

  /** Latest order book of each code (codes without data are absent). */
  async depthTicks(codes: readonly string[]): Promise<DepthBook[]> {
    const lists = await this.perCodeChunks('/depth-tick', codes, depthTickDataSchema);
    return lists.flatMap((d) => d.tick_list.map(toDepthBook));
  }

  /** Candles of one code, oldest first, one per bar start. */
  async kline(request: KlineRequest): Promise<Candle[]> {
    const { code, klineType, limit } = request;
    const end = request.endTimestamp ?? 0;
    checkKlineItem(code, klineType, limit);
    if (!Number.isInteger(end) || end < 0 || end >= 1e11) {
      throw new Error(`invalid endTimestamp ${end}: expected epoch seconds, or 0 for the latest`);
    }
    const data = { code, kline_type: klineType, kline_timestamp_end: end, query_kline_num: limit, adjust_type: 0 };
    const result = await this.call('/kline', endpointOf(code), data, klineDataSchema);
    return dedupeCandles(result.kline_list);
  }

  /** Candles of several (code, klineType) groups, keyed by `klineKey`; every requested key is present. */
  async batchKline(items: readonly BatchKlineItem[]): Promise<Map<string, Candle[]>> {
    const unique = new Map<string, BatchKlineItem>();
    for (const item of items) {
      checkKlineItem(item.code, item.klineType, item.limit);
      unique.set(klineKey(item.code, item.klineType), item);
    }
    const result = new Map<string, Candle[]>([...unique.keys()].map((k) => [k, []]));
    const calls = [...groupByEndpoint([...unique.values()], (i) => i.code)].flatMap(([endpoint, group]) =>
      chunk(group, this.plan.rest.batchKlineGroups).map((part) => {
        const data_list = part.map((i) => ({
          code: i.code,
          kline_type: i.klineType,
          kline_timestamp_end: 0,
          query_kline_num: i.limit,
          adjust_type: 0,
        }));
        return this.call(BATCH_KLINE_METHOD, endpoint, { data_list }, batchKlineDataSchema);
      }),
    );
    for (const answer of await Promise.all(calls)) {
      for (const entry of answer.kline_list) {
        const key = klineKey(entry.code, entry.kline_type);
        if (result.has(key)) result.set(key, dedupeCandles([...result.get(key)!, ...entry.kline_data]));
      }
    }
    return result;
  }

  /** Static info of stocks (US, HK, A-shares); other codes are rejected before any request. */
  async staticInfo(codes: readonly string[]): Promise<StaticInfo[]> {
    const others = codes.filter((c) => {
      const market = marketOf(c);
      return market !== null && !isStockMarket(market);
    });
    if (others.length > 0) {
      throw new Error(`static info is only available for stocks (.US, .HK, .SH, .SZ), not for ${others.join(', ')}`);
    }
    const lists = await this.perCodeChunks('/static_info', codes, staticInfoDataSchema);
    return lists.flatMap((d) => d.static_info_list);
  }

  /** One call per endpoint and per `codesPerCall` codes, all in flight at once (the limiter spaces them). */
  private perCodeChunks<T>(method: RestMethod, codes: readonly string[], schema: z.ZodType<T>): Promise<T[]> {
    const unique = [...new Set(codes)];
    for (const code of unique) checkCode(code);
    const calls = [...groupByEndpoint(unique, (c) => c)].flatMap(([endpoint, group]) =>
      chunk(group, this.plan.rest.codesPerCall).map((part) => this.call(method, endpoint, { symbol_list: part.map((code) => ({ code })) }, schema)),
    );
    return Promise.all(calls);
  }

  private async call<T>(method: RestMethod, endpoint: Endpoint, data: object, schema: z.ZodType<T>): Promise<T> {
    await this.limiter.acquire(method);
    const trace = `rest-${randomUUID()}`;
    const request = JSON.stringify({ trace, data });
    const path = `${ENDPOINT_PATHS[endpoint].rest}${method}`;
    const token = `token=${encodeURIComponent(this.token)}`;
    const post = method === BATCH_KLINE_METHOD;
    const url = `${this.baseUrl}${path}?${token}${post ? '' : `&query=${encodeURIComponent(request)}`}`;
    const started = Date.now();

    let status: number;
    let statusText: string;
    let text: string;
    try {
      const response = await this.fetchFn(url, {
        method: post ? 'POST' : 'GET',
        headers: post ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
        body: post ? request : undefined,
        // a redirect would carry the token in its URL to wherever it points
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      statusText = response.statusText;
      text = await readCapped(response, this.maxBodyBytes);
    } catch (error) {
      const reason =
        error instanceof BodyTooLargeError
          ? `refused: ${error.message}`
          : error instanceof Error && error.name === 'TimeoutError'
            ? `timed out after ${this.timeoutMs} ms`
            : `failed: ${this.redact(errorText(error))}`;
      this.logger?.warn({ method, path, trace }, `AllTick REST request ${reason}`);
      throw this.failed(new Error(`AllTick REST ${path} request ${reason}`), method, 0);
    }
    this.logger?.debug({ method, path, trace, status, ms: Date.now() - started }, 'AllTick REST call');

    if (status >= 300 && status < 400) {
      throw new Error(`AllTick REST ${path} answered with a redirect (HTTP ${status}); not followed`);
    }
    if (status >= 400) {
      const body = errorBodySchema.safeParse(safeJson(text));
      const msg = (body.success && body.data.msg) || `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
      if (status === 429 || status >= 500) this.backOff(method, status);
      throw this.failed(new AllTickError(status, this.redact(msg), method), method, status);
    }
    const json = safeJson(text);
    if (json === undefined) throw this.invalid(method, `not JSON (HTTP ${status}, ${text.length} bytes)`);
    const envelope = restEnvelopeSchema.safeParse(json);
    if (!envelope.success) throw this.invalid(method, describe(envelope.error));
    const { ret, msg } = envelope.data;
    if (ret !== Ret.Ok) {
      if (RATE_LIMIT_RETS.has(ret)) this.backOff(method, ret);
      throw this.failed(new AllTickError(ret, this.redact(msg || (RET_MESSAGES[ret] ?? `ret ${ret}`)), method), method, ret);
    }
    this.failures = 0;
    if (envelope.data.trace !== undefined && envelope.data.trace !== trace) {
      this.logger?.warn({ method, path, trace, received: envelope.data.trace.slice(0, 64) }, 'AllTick REST answer echoes another trace');
    }
    const parsed = schema.safeParse(envelope.data.data);
    if (!parsed.success) throw this.invalid(method, describe(parsed.error));
    return parsed.data;
  }

  /** After a rate-limit or server error, pause every call: plan gap (≥ 1 s), doubling, at most 60 s. */
  private backOff(method: RestMethod, code: number): void {
    this.failures++;
    const base = Math.max(1_000, this.plan.rest.perEndpointIntervalMs);
    const ms = Math.min(MAX_BACKOFF_MS, base * 2 ** Math.min(this.failures - 1, 16));
    this.limiter.backoff(ms);
    this.logger?.warn({ method, code, backoffMs: ms }, 'AllTick REST rate-limited or failing; pausing REST calls');
  }

  private invalid(method: RestMethod, reason: string): Error {
    const error = new Error(`invalid response from ${method}: ${this.redact(reason)}`);
    this.logger?.warn({ method }, error.message);
    return error;
  }

  private redact(text: string): string {
    return redactToken(text, this.token).slice(0, 300);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

let fetchWarm = false;

/**
 * Node loads fetch's HTTP stack (undici, the llhttp parser) on the first request, which takes
 * hundreds of ms on a busy machine. One request to a throwaway loopback server loads it now, so
 * the first AllTick call leaves when the limiter lets it go rather than late, crowding the call
 * booked after it (with several instances, that call comes from another process).
 */
function warmUpFetch(): void {
  if (fetchWarm) return;
  fetchWarm = true;
  const server = createServer((_req, res) => res.end()).listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    globalThis
      .fetch(`http://127.0.0.1:${port}/`)
      .then((r) => r.arrayBuffer())
      .catch(() => undefined)
      .finally(() => server.close());
  });
  server.on('error', () => undefined); // no loopback: the first call simply pays the cost
  server.unref();
}

function checkCode(code: string): void {
  if (marketOf(code) === null) throw new Error(`invalid AllTick code ${JSON.stringify(code)}`);
}

function checkKlineItem(code: string, klineType: number, limit: number): void {
  checkCode(code);
  if (!Number.isInteger(klineType) || klineType < 1 || klineType > 10) {
    throw new Error(`invalid klineType ${klineType} for ${code}: expected 1..10`);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_KLINE_LIMIT) {
    throw new Error(`invalid limit ${limit} for ${code}: expected 1..${MAX_KLINE_LIMIT}`);
  }
}

/** One candle per bar start (the last one seen wins), oldest first (§6 issue #12). */
export function dedupeCandles(candles: readonly Candle[]): Candle[] {
  const byTime = new Map<number, Candle>();
  for (const candle of candles) byTime.set(candle.time, candle);
  return [...byTime.values()].sort((a, b) => a.time - b.time);
}

function groupByEndpoint<T>(items: readonly T[], codeOf: (item: T) => string): Map<Endpoint, T[]> {
  const groups = new Map<Endpoint, T[]>();
  for (const item of items) {
    const endpoint = endpointOf(codeOf(item));
    const group = groups.get(endpoint);
    if (group) group.push(item);
    else groups.set(endpoint, [item]);
  }
  return groups;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
