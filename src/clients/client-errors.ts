/**
 * Errors a client gets for breaking a limit or the auth rules: a stable `extensions.code` (from
 * error-codes.ts), a message that says what to change, and the HTTP status Yoga should answer with
 * (`extensions.http`, removed from the response body by Yoga).
 */
import { GraphQLError } from 'graphql';

import type { ErrorCode } from './error-codes.js';

export function clientError(
  code: ErrorCode,
  message: string,
  status: number,
  headers?: Record<string, string>,
  extra: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra, http: { status, ...(headers && { headers }) } } });
}

/** The JSON body of a GraphQL-over-HTTP error answered before Yoga runs. */
export function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}
