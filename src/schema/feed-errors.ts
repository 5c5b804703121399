/**
 * Feed errors as clients see them: a GraphQLError with a stable `extensions.code` and the details
 * a client needs to act (which symbol, which AllTick ret), never anything about the token.
 */
import { GraphQLError } from 'graphql';
import type { MarketFeed } from '../feed/feed.js';
import { CapacityError, SymbolRejectedError } from '../feed/manager.js';
import { ErrorCode } from '../clients/error-codes.js';

export function feedErrorToGraphQL(error: unknown): unknown {
  if (error instanceof CapacityError) {
    return new GraphQLError(error.message, { extensions: { code: ErrorCode.UpstreamCapacity, endpoint: error.endpoint } });
  }
  if (error instanceof SymbolRejectedError) {
    return new GraphQLError(error.message, { extensions: { code: ErrorCode.UpstreamRejected, symbol: error.symbol, ret: error.ret } });
  }
  return error;
}

/**
 * A subscription's first step: the plan's symbol cap is checked before anything is held. With one
 * instance that happens in the feed manager, synchronously, so the stream starts in the same turn
 * (no extra hop between subscribes that arrive together); with several, the cluster's cap in Redis
 * answers first (UPSTREAM_CAPACITY at subscribe time).
 */
export function admitted<T>(feed: MarketFeed, symbols: readonly string[], start: () => T): T | Promise<T> {
  const check = feed.admit(symbols);
  if (!check) return start();
  return check.then(start, (error: unknown) => {
    throw feedErrorToGraphQL(error);
  });
}
