/**
 * Automatic persisted queries, Apollo's protocol (`extensions.persistedQuery: { version: 1,
 * sha256Hash }`): a client sends the hash alone; the server answers PERSISTED_QUERY_NOT_FOUND
 * until it has seen the query once with that hash, then runs the stored query. Lets Apollo
 * Client's persisted-queries link (and GET requests with short URLs) work. The store is bounded
 * (least recently used out) and only holds queries whose hash was checked.
 */
import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { z } from 'zod';
import { ErrorCode } from '../clients/error-codes.js';

const persistedQuerySchema = z.object({ version: z.literal(1), sha256Hash: z.string().regex(/^[0-9a-f]{64}$/) });

const refuse = (message: string, code: ErrorCode) =>
  new GraphQLError(message, { extensions: { code, http: { status: code === ErrorCode.BadRequest ? 400 : 200 } } });

export function usePersistedQueries(options: { maxQueries?: number } = {}): Plugin {
  const maxQueries = options.maxQueries ?? 1000;
  const store = new Map<string, string>();
  const remember = (hash: string, query: string) => {
    store.delete(hash);
    store.set(hash, query);
    if (store.size > maxQueries) store.delete(store.keys().next().value!);
  };
  return {
    onParams({ params, setParams }) {
      const requested: unknown = params.extensions?.persistedQuery;
      if (requested === undefined) return;
      const parsed = persistedQuerySchema.safeParse(requested);
      if (!parsed.success) throw refuse('extensions.persistedQuery must be { version: 1, sha256Hash: <64 hex digits> }', ErrorCode.BadRequest);
      const { sha256Hash } = parsed.data;
      if (typeof params.query === 'string') {
        if (createHash('sha256').update(params.query).digest('hex') !== sha256Hash) throw refuse('provided sha does not match query', ErrorCode.BadRequest);
        remember(sha256Hash, params.query);
        return;
      }
      const query = store.get(sha256Hash);
      // Apollo Client recognises this message and code, and sends the query with the hash
      if (query === undefined) throw refuse('PersistedQueryNotFound', ErrorCode.PersistedQueryNotFound);
      remember(sha256Hash, query);
      setParams({ ...params, query });
    },
  };
}
