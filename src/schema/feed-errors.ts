/**
 * Feed errors as clients see them: a GraphQLError with a stable `extensions.code` and the details
 * a client needs to act (which symbol, which AllTick ret), never anything about the token.
 */
import { GraphQLError } from 'graphql';
import type { MarketFeed } from '../feed/feed.js';
import { CapacityError, SymbolRejectedError } from '../feed/manager.js';
import { ErrorCode } from '../http/error-codes.js';

export function feedErrorToGraphQL(error: unknown): unknown {
  if (error instanceof CapacityError) {
    return new GraphQLError(error.message, { extensions: { code: ErrorCode.UpstreamCapacity, endpoint: error.endpoint } });
  }
  if (error instanceof SymbolRejectedError) {
    return new GraphQLError(error.message, { extensions: { code: ErrorCode.UpstreamRejected, symbol: error.symbol, ret: error.ret } });
  }
  return error;
}

/** A subscription's first step: the plan's symbol cap (the cluster's, with several instances) is checked before anything is held. */
export async function admit(feed: MarketFeed, symbols: readonly string[]): Promise<void> {
  try {
    await feed.admit(symbols);
  } catch (error) {
    throw feedErrorToGraphQL(error);
  }
}
