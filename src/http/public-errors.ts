/**
 * Errors as clients see them, on every transport: always an `extensions.code`, and nothing meant
 * for the server only: `extensions.http` (Yoga's instructions for the HTTP status, which Yoga
 * strips from HTTP bodies but graphql-ws would send as they are) and Yoga's `unexpected` mark.
 */
import { GraphQLError } from 'graphql';
import { maskError, type YogaServerOptions } from 'graphql-yoga';
import { ErrorCode } from '../clients/error-codes.js';

function copy(error: GraphQLError, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    path: error.path ?? null,
    originalError: error.originalError ?? null,
    extensions,
  });
}

/** `error` with a code (`fallbackCode` when it has none), as the client may see it. */
export function publicError(error: GraphQLError, fallbackCode: ErrorCode): GraphQLError {
  const { http: _http, unexpected: _unexpected, ...extensions } = error.extensions ?? {};
  return copy(error, { ...extensions, code: extensions.code ?? fallbackCode });
}

export function publicErrors(errors: readonly GraphQLError[], fallbackCode: ErrorCode): GraphQLError[] {
  return errors.map((error) => publicError(error, fallbackCode));
}

/**
 * Yoga's error masking, then a code for the errors that have none: a syntax error (Yoga codes it
 * only on some paths, not on SSE), graphql-js's request errors (variables that do not fit their
 * types, an unknown operation name; no `path`) are the client's, anything else is internal.
 */
export const maskWithCodes: NonNullable<Exclude<YogaServerOptions<object, object>['maskedErrors'], boolean>>['maskError'] = (error, message, isDev) => {
  const masked = maskError(error, message, isDev);
  if (!(masked instanceof GraphQLError) || masked.extensions?.code !== undefined) return masked;
  const code = masked.path ? ErrorCode.Internal : masked.message.startsWith('Syntax Error:') ? ErrorCode.ParseFailed : ErrorCode.BadUserInput;
  return copy(masked, { ...masked.extensions, code });
};
