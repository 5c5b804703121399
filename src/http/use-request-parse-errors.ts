/**
 * Yoga answers a request it cannot parse (e.g. `?variables=` that is not JSON on a GET, found by
 * the fuzz test) with a masked 500 "Unexpected error.". Those are the client's errors: answer
 * 400 BAD_REQUEST with what was wrong.
 */
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../clients/error-codes.js';

export function useRequestParseErrors(): Plugin {
  return {
    // Yoga answers a request without a query 200 under application/json; it is not a well-formed
    // GraphQL-over-HTTP request, which the spec answers 400 (runs after persisted queries fill it in)
    onParams({ params }) {
      if (params.query == null) {
        throw new GraphQLError('Must provide query string.', { extensions: { code: ErrorCode.BadRequest, http: { status: 400 } } });
      }
    },
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          if (error instanceof GraphQLError) throw error;
          const reason = error instanceof SyntaxError ? 'a parameter is not valid JSON' : 'malformed request';
          throw new GraphQLError(`could not read the request: ${reason}`, { extensions: { code: ErrorCode.BadRequest, http: { status: 400 } } });
        }
      });
    },
  };
}
