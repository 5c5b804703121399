/**
 * Failures of AllTick REST reads as GraphQL errors a client can act on: rate limiting (ours or
 * upstream's) is `RATE_LIMITED` with a retry hint; anything else is `UPSTREAM_ERROR`. Messages
 * come from the REST client, which never puts the token in them.
 */
import { GraphQLError } from 'graphql';
import { AllTickError } from '../feed/alltick/errors.js';
import { RateLimitedError } from '../feed/alltick/rate-limiter.js';
import { Ret } from '../feed/alltick/protocol.js';
import { ErrorCode } from '../clients/error-codes.js';

const RATE_LIMIT_CODES = new Set<number>([Ret.RateLimit, Ret.TooManyRequests, Ret.TooManyRequestsClosed]);

export function upstreamError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof RateLimitedError) {
    return new GraphQLError(error.message, { extensions: { code: ErrorCode.RateLimited, retryAfterMs: Math.ceil(error.retryAfterMs) } });
  }
  if (error instanceof AllTickError && RATE_LIMIT_CODES.has(error.ret)) {
    return new GraphQLError(`${error.message}; try again shortly`, { extensions: { code: ErrorCode.RateLimited } });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new GraphQLError(`AllTick REST request failed: ${message}`, { extensions: { code: ErrorCode.UpstreamError } });
}

/** Awaits an upstream read, turning its failure into a GraphQL error. */
export async function fromUpstream<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    throw upstreamError(error);
  }
}
