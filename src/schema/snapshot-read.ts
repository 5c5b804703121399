/**
 * Snapshot reads for the query fields: a symbol's trade or book comes from the last-value cache
 * while upstream streams it (some client subscribes, or it is lingering), otherwise from AllTick
 * REST through the request's loaders (batched, cached, rate-limited). Never subscribes upstream.
 * With several instances (REDIS_URL) the cache of a symbol this instance does not follow is the
 * shared one in Redis.
 */
import type { DepthBook, Trade } from '../feed/alltick/protocol.js';
import { endpointOf } from '../feed/alltick/symbols.js';
import type { SymbolSnapshot } from '../feed/cache.js';
import { healthOf } from '../feed/health.js';
import type { Context } from './context.js';
import { fromUpstream } from './upstream-errors.js';

/**
 * What upstream streams for a symbol right now: for this instance's clients (its feed manager), or
 * with several instances for any instance's (the shared upstream's lists, from the feed status).
 */
function streamed(ctx: Context, symbol: string): { trades: boolean; depth: boolean } {
  const lists = ctx.feed.manager.desired(endpointOf(symbol));
  const connections = ctx.status.status().connections;
  return {
    trades: lists.trades.includes(symbol) || connections.some((c) => c.trades.includes(symbol)),
    depth: lists.depth.some((e) => e.code === symbol) || connections.some((c) => c.depth.includes(symbol)),
  };
}

export interface SymbolRead {
  snapshot: SymbolSnapshot | null;
  /** true when a cached value is shown while its endpoint is disconnected */
  stale: boolean;
}

/** The symbol's trade and/or order book, each from the cache when streamed, else from REST. */
export async function readSymbol(ctx: Context, symbol: string, want: { trade: boolean; book: boolean }): Promise<SymbolRead> {
  const live = streamed(ctx, symbol);
  const [cached] = await ctx.feed.lookup([symbol]); // several instances: the shared cache in Redis
  const cachedTrade = live.trades ? (cached?.trade ?? null) : null;
  const cachedBook = live.depth ? (cached?.book ?? null) : null;
  const [trade, book] = await Promise.all([
    want.trade ? (cachedTrade ?? fromUpstream<Trade | null>(ctx.loaders.trade.load(symbol))) : null,
    want.book ? (cachedBook ?? fromUpstream<DepthBook | null>(ctx.loaders.book.load(symbol))) : null,
  ]);
  const fromCache = (trade !== null && trade === cachedTrade) || (book !== null && book === cachedBook);
  const stale = fromCache && healthOf(ctx.status).isStale(symbol);
  if (!trade && !book) return { snapshot: null, stale };
  const last = !book || (trade && trade.time >= book.time) ? (trade as Trade) : book;
  return { snapshot: { symbol, trade, book, last }, stale };
}

/**
 * A cold subscription's first data: the symbols' latest trade (and book) from REST, through the
 * request's batching loaders and the shared REST rate limiter, into the feed, which hands them to
 * the subscribers as their SNAPSHOT while the upstream subscription waits for its slot. A failed
 * read only means the first data comes from upstream.
 */
export function primeFromRest(ctx: Context, symbols: readonly string[], want: { trade: boolean; book: boolean }): void {
  const load = <T>(wanted: boolean, loader: { load(symbol: string): Promise<T | null> }, symbol: string) =>
    wanted ? loader.load(symbol).catch(() => null) : Promise.resolve(null);
  for (const symbol of symbols) {
    // trade and book together: one SNAPSHOT with both, not two events
    void Promise.all([load(want.trade, ctx.loaders.trade, symbol), load(want.book, ctx.loaders.book, symbol)]).then((events) =>
      ctx.feed.prime(events.filter((e): e is Trade | DepthBook => e !== null)),
    );
  }
}
