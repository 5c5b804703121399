/**
 * Every `extensions.code` a client can get, on every transport (docs/operations.md "Error codes";
 * a test holds that table against this list). Code that raises a client-facing error takes its code from here.
 */
export const ErrorCode = {
  /** an argument is wrong; the message names the value */
  BadUserInput: 'BAD_USER_INPUT',
  /** the document is not GraphQL */
  ParseFailed: 'GRAPHQL_PARSE_FAILED',
  /** the document does not fit the schema */
  ValidationFailed: 'GRAPHQL_VALIDATION_FAILED',
  /** the request could not be read (no query, a parameter that is not JSON, a wrong method…) */
  BadRequest: 'BAD_REQUEST',
  /** an automatic persisted query's hash the server does not know (yet): send the query too */
  PersistedQueryNotFound: 'PERSISTED_QUERY_NOT_FOUND',
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
  UpstreamCapacity: 'UPSTREAM_CAPACITY',
  UpstreamRejected: 'UPSTREAM_REJECTED',
  /** an AllTick REST request failed */
  UpstreamError: 'UPSTREAM_ERROR',
  /** anything unexpected: the message is masked, the log line has the details */
  Internal: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
