/**
 * `Cache-Control` for snapshot queries sent as GET (BI tools, scripts, CDNs): an answer without
 * errors may be reused for as long as the server itself reuses snapshots (SNAPSHOT_REUSE_MS), by
 * anyone when the API is public, only by the client itself when answers depend on its API key.
 * POSTs, errors and subscriptions are not cacheable (Yoga says `no-store` or nothing).
 */
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { SNAPSHOT_REUSE_MS } from '../feed/snapshots/snapshot-service.js';

export function useHttpCaching(options: { perClient: boolean }): Plugin {
  const cacheable = new WeakSet<Request>();
  const header = `${options.perClient ? 'private' : 'public'}, max-age=${Math.floor(SNAPSHOT_REUSE_MS / 1000)}`;
  return {
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (request?.method !== 'GET') return;
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result) && !result.errors?.length) cacheable.add(request);
        },
      };
    },
    onResponse({ request, response }) {
      if (cacheable.has(request) && response.status === 200 && !response.headers.has('cache-control')) {
        response.headers.set('cache-control', header);
        if (options.perClient) response.headers.append('vary', 'authorization');
      }
    },
  };
}
