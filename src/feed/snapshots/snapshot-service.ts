/**
 * Everything the server reads from AllTick's REST API, batched and cached (alltick-protocol.md
 * §4.2): latest trade and order book of symbols nobody subscribes to, static info of stocks, the
 * previous daily close (for `change`), and candle history. One shared loader per REST method
 * merges the keys of every request arriving together into one call per endpoint (the client
 * splits at the plan's codes per call); the client's rate limiter spaces the calls, queueing or
 * refusing with a clear error, never letting a burst through as a storm of 429s.
 *
 * `forRequest()` gives each GraphQL request its own DataLoaders in front of the shared ones.
 */
import type DataLoader from 'dataloader';
import type { DepthBook, Trade } from '../alltick/protocol.js';
import type { AllTickRestClient, Candle, StaticInfo } from '../alltick/rest.js';
import { klineKey } from '../alltick/rest.js';
import { DAILY, barStart } from '../candles/intervals.js';
import { requestLoader, sharedLoader } from './shared-loader.js';

export interface SnapshotServiceOptions {
  rest: AllTickRestClient;
  /** how long a REST tick answer is reused; default 1 s */
  ttlMs?: number;
  /** how long a new batch waits for more keys; default 5 ms */
  windowMs?: number;
  now?: () => number;
}

export interface CandleRequest {
  symbol: string;
  klineType: number;
  /** 1..500 */
  limit: number;
  /** epoch seconds of the newest bar start wanted; 0 = the latest */
  endSeconds: number;
}

/** The loaders of one GraphQL request. */
export interface SnapshotLoaders {
  trade: DataLoader<string, Trade | null, string>;
  book: DataLoader<string, DepthBook | null, string>;
  staticInfo: DataLoader<string, StaticInfo | null, string>;
  /** key: symbol; answer: close of the last daily bar before today (UTC), null when unknown */
  previousClose: DataLoader<string, string | null, string>;
  candles: DataLoader<CandleRequest, Candle[], string>;
}

const STATIC_INFO_TTL_MS = 3_600_000;
/** How long a REST tick answer is reused (and GET snapshot queries may be cached: src/http/use-http-caching.ts). */
export const SNAPSHOT_REUSE_MS = 1_000;
const DAY_MS = 86_400_000;
/** /batch-kline gives at most 2 bars per item: enough for "yesterday's close". */
const BATCH_KLINE_MAX = 2;

const candleKey = (r: CandleRequest) => `${r.symbol}|${r.klineType}|${r.limit}|${r.endSeconds}`;

export class SnapshotService {
  /** the loaders every request's own loaders read through (RequestLoaders) */
  readonly shared: SnapshotLoaders;
  private readonly trade;
  private readonly book;
  private readonly staticInfo;
  private readonly previousClose;
  private readonly candles;
  private readonly now: () => number;

  constructor(private readonly opts: SnapshotServiceOptions) {
    const { rest } = opts;
    const now = (this.now = opts.now ?? Date.now);
    const ttlMs = opts.ttlMs ?? SNAPSHOT_REUSE_MS;
    const common = { windowMs: opts.windowMs, now };
    this.trade = sharedLoader<string, Trade | null>(async (codes) => byCode(codes, await rest.tradeTicks(codes)), { ttlMs, ...common });
    this.book = sharedLoader<string, DepthBook | null>(async (codes) => byCode(codes, await rest.depthTicks(codes)), { ttlMs, ...common });
    this.staticInfo = sharedLoader<string, StaticInfo | null>(
      async (codes) => {
        const infos = await rest.staticInfo(codes);
        return codes.map((code) => infos.find((i) => i.symbol === code) ?? null);
      },
      { ttlMs: STATIC_INFO_TTL_MS, ...common },
    );
    // keyed by symbol and UTC day: a new day asks again
    this.previousClose = sharedLoader<string, string | null>((symbols) => this.loadPreviousCloses(symbols), {
      ttlMs: DAY_MS,
      cacheKey: (symbol) => `${symbol}|${barStart(DAILY, now())}`,
      ...common,
    });
    this.candles = sharedLoader<CandleRequest, Candle[]>((requests) => this.loadCandles(requests), { ttlMs, cacheKey: candleKey, ...common });
    this.shared = { trade: this.trade, book: this.book, staticInfo: this.staticInfo, previousClose: this.previousClose, candles: this.candles };
  }

  /**
   * Fresh per-request loaders (put one set on each GraphQL context), each made on first use: a
   * subscription's context lives as long as it does, and most never load anything.
   */
  forRequest(): SnapshotLoaders {
    return new RequestLoaders(this);
  }

  /** The key of a previous close: symbol and UTC day. */
  previousCloseKey = (symbol: string): string => `${symbol}|${barStart(DAILY, this.now())}`;

  private async loadPreviousCloses(symbols: readonly string[]): Promise<(string | null)[]> {
    const today = barStart(DAILY, this.now());
    const bars = await this.opts.rest.batchKline(symbols.map((code) => ({ code, klineType: DAILY.klineType, limit: BATCH_KLINE_MAX })));
    return symbols.map((symbol) => {
      const before = (bars.get(klineKey(symbol, DAILY.klineType)) ?? []).filter((b) => b.time < today);
      return before.at(-1)?.close ?? null;
    });
  }

  /** Short requests of the latest bars share one /batch-kline call; the others take a /kline each. */
  private async loadCandles(requests: readonly CandleRequest[]): Promise<(Candle[] | Error)[]> {
    const { rest } = this.opts;
    const batchable = requests.filter((r) => r.limit <= BATCH_KLINE_MAX && r.endSeconds === 0);
    const batched =
      batchable.length > 1
        ? await rest.batchKline(batchable.map((r) => ({ code: r.symbol, klineType: r.klineType, limit: r.limit })))
        : new Map<string, Candle[]>();
    return Promise.all(
      requests.map(async (r) => {
        const fromBatch = batched.get(klineKey(r.symbol, r.klineType));
        if (fromBatch && batchable.includes(r)) return fromBatch.slice(-r.limit);
        try {
          return await rest.kline({ code: r.symbol, klineType: r.klineType, limit: r.limit, endTimestamp: r.endSeconds });
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      }),
    );
  }
}

function byCode<T extends { symbol: string }>(codes: readonly string[], items: readonly T[]): (T | null)[] {
  const found = new Map(items.map((item) => [item.symbol, item]));
  return codes.map((code) => found.get(code) ?? null);
}

/** One request's loaders, made when first asked for. */
class RequestLoaders implements SnapshotLoaders {
  private tradeLoader?: SnapshotLoaders['trade'];
  private bookLoader?: SnapshotLoaders['book'];
  private staticInfoLoader?: SnapshotLoaders['staticInfo'];
  private previousCloseLoader?: SnapshotLoaders['previousClose'];
  private candlesLoader?: SnapshotLoaders['candles'];

  constructor(private readonly service: SnapshotService) {}

  get trade(): SnapshotLoaders['trade'] {
    return (this.tradeLoader ??= requestLoader(this.service.shared.trade));
  }

  get book(): SnapshotLoaders['book'] {
    return (this.bookLoader ??= requestLoader(this.service.shared.book));
  }

  get staticInfo(): SnapshotLoaders['staticInfo'] {
    return (this.staticInfoLoader ??= requestLoader(this.service.shared.staticInfo));
  }

  get previousClose(): SnapshotLoaders['previousClose'] {
    return (this.previousCloseLoader ??= requestLoader(this.service.shared.previousClose, this.service.previousCloseKey));
  }

  get candles(): SnapshotLoaders['candles'] {
    return (this.candlesLoader ??= requestLoader(this.service.shared.candles, candleKey));
  }
}
