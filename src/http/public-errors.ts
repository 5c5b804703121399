/**
 * Errors as every transport shows them: with an `extensions.code`, and without what is meant for
 * the server only (`extensions.http`, Yoga's instructions for the HTTP status, which Yoga strips
 * from HTTP bodies but graphql-ws would send as they are).
 */
import { GraphQLError } from 'graphql';
import type { ErrorCode } from './error-codes.js';

export function publicError(error: GraphQLError, fallbackCode: ErrorCode): GraphQLError {
  const { http: _http, ...extensions } = error.extensions ?? {};
  return new GraphQLError(error.message, {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    path: error.path ?? null,
    originalError: error.originalError ?? null,
    extensions: { ...extensions, code: extensions.code ?? fallbackCode },
  });
}

export function publicErrors(errors: readonly GraphQLError[], fallbackCode: ErrorCode): GraphQLError[] {
  return errors.map((error) => publicError(error, fallbackCode));
}
