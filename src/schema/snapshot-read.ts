/**
 * Snapshot reads for the query fields: a symbol's trade or book comes from the last-value cache
 * while upstream streams it (some client subscribes, or it is lingering), otherwise from AllTick
 * REST through the request's loaders (batched, cached, rate-limited). Never subscribes upstream.
 * With several instances (REDIS_URL) the cache of a symbol this instance does not follow is the
 * shared one in Redis.
 */
import type { DepthBook, Trade } from '../feed/alltick/protocol.js';
import { endpointOf, maxDepthOf } from '../feed/alltick/symbols.js';
import type { SymbolSnapshot } from '../feed/cache.js';
import { healthOf } from '../feed/health.js';
import type { Context } from './context.js';
import { fromUpstream } from './upstream-errors.js';

/**
 * What upstream streams for a symbol right now: for this instance's clients (its feed manager), or
 * with several instances for any instance's (the shared upstream's lists, from the feed status).
 * `depthLevel`: the levels the streamed book has (0: not streamed; null: streamed at a depth this
 * instance does not know, another instance's).
 */
function streamed(ctx: Context, symbol: string): { trades: boolean; depthLevel: number | null } {
  const lists = ctx.feed.manager.desired(endpointOf(symbol));
  const connections = ctx.status.status().connections;
  const local = lists.depth.find((e) => e.code === symbol)?.depth_level ?? 0;
  return {
    trades: lists.trades.includes(symbol) || connections.some((c) => c.trades.includes(symbol)),
    depthLevel: local > 0 ? local : connections.some((c) => c.depth.includes(symbol)) ? null : 0,
  };
}

/**
 * The cached book serves a query for `depth` levels only when the stream holds that many (or
 * the market has no more): a book streamed at depth 1 never answers a query for 10. Where the
 * streamed depth is unknown (another instance's), the book's own levels tell.
 */
function cachedBookServes(book: DepthBook, depthLevel: number | null, depth: number, symbol: string): boolean {
  const needed = Math.min(depth, maxDepthOf(symbol));
  if (depthLevel !== null) return depthLevel >= needed;
  return Math.max(book.bids.length, book.asks.length) >= needed;
}

export interface SymbolRead {
  snapshot: SymbolSnapshot | null;
  /** true when a cached value is shown while its endpoint is disconnected */
  stale: boolean;
}

/**
 * The symbol's trade and/or order book (`bookDepth` levels; 0: no book), each from the cache when
 * streamed (the book: at least that deep), else from REST.
 */
export async function readSymbol(ctx: Context, symbol: string, want: { trade: boolean; bookDepth: number }): Promise<SymbolRead> {
  const live = streamed(ctx, symbol);
  const [cached] = await ctx.feed.lookup([symbol]); // several instances: the shared cache in Redis
  const cachedTrade = live.trades ? (cached?.trade ?? null) : null;
  const streamedBook = live.depthLevel !== 0 ? (cached?.book ?? null) : null;
  const cachedBook = streamedBook && cachedBookServes(streamedBook, live.depthLevel, want.bookDepth, symbol) ? streamedBook : null;
  const [trade, book] = await Promise.all([
    want.trade ? (cachedTrade ?? fromUpstream<Trade | null>(ctx.loaders.trade.load(symbol))) : null,
    want.bookDepth > 0 ? (cachedBook ?? fromUpstream<DepthBook | null>(ctx.loaders.book.load(symbol))) : null,
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
export async function primeFromRest(ctx: Context, symbols: readonly string[], want: { trade: boolean; book: boolean }): Promise<void> {
  const load = <T>(wanted: boolean, loader: { load(symbol: string): Promise<T | null> }, symbol: string) =>
    wanted ? loader.load(symbol).catch(() => null) : Promise.resolve(null);
  await Promise.all(
    symbols.map(async (symbol) => {
      // trade and book together: one SNAPSHOT with both, not two events
      const events = await Promise.all([load(want.trade, ctx.loaders.trade, symbol), load(want.book, ctx.loaders.book, symbol)]);
      ctx.feed.prime(events.filter((e): e is Trade | DepthBook => e !== null));
    }),
  );
}
