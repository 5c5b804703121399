/**
 * Errors a client gets for breaking a limit or the auth rules: a stable `extensions.code` (listed
 * in README "Operations"), a message that says what to change, and the HTTP status Yoga should
 * answer with (`extensions.http`, removed from the response body by Yoga).
 */
import { GraphQLError } from 'graphql';

export const ClientErrorCode = {
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  RateLimited: 'RATE_LIMITED',
  TooManyConnections: 'TOO_MANY_CONNECTIONS',
  TooManySubscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  QueryTooDeep: 'QUERY_TOO_DEEP',
  QueryTooComplex: 'QUERY_TOO_COMPLEX',
  QueryTooLarge: 'QUERY_TOO_LARGE',
  VariablesTooLarge: 'VARIABLES_TOO_LARGE',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  LengthRequired: 'LENGTH_REQUIRED',
  BadRequest: 'BAD_REQUEST',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export function clientError(code: ClientErrorCode, message: string, status: number, headers?: Record<string, string>, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra, http: { status, ...(headers && { headers }) } } });
}

/** The JSON body of a GraphQL-over-HTTP error answered before Yoga runs. */
export function errorBody(code: ClientErrorCode, message: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}
