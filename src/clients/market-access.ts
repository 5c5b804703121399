/**
 * The markets an API key may see (docs/operations.md "Authentication"): checked by the HTTP guards on every
 * `symbols` argument before any resolver, and again by the fields on the symbols they will use.
 */
import type { GraphQLError } from 'graphql';
import { marketOf, type Market } from '../feed/alltick/symbols.js';
import { clientError } from './client-errors.js';
import { clip, echo } from './echo.js';
import { ErrorCode } from './error-codes.js';

/** FORBIDDEN for the first of `symbols` outside the `allowed` markets (null = all allowed), else null. */
export function marketRefusal(symbols: Iterable<string>, allowed: ReadonlySet<Market> | null): GraphQLError | null {
  if (!allowed) return null;
  for (const symbol of symbols) {
    const market = marketOf(symbol);
    if (market && !allowed.has(market)) {
      const list = [...allowed].sort().join(', ') || 'none';
      return clientError(
        ErrorCode.Forbidden,
        `symbol ${echo(symbol)} (market ${market}) is not allowed for this API key; allowed markets: ${list}`,
        403,
        undefined,
        { symbol: clip(symbol), market },
      );
    }
  }
  return null;
}
