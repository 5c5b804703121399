/**
 * `/metrics` (Prometheus text) and the subscription counts behind it. The subscription hooks are
 * envelop hooks, so they see both transports: Yoga's HTTP/SSE and graphql-ws (which runs through
 * Yoga's envelop, src/http/graphql-ws.ts).
 */
import { getOperationAST, Kind, type DocumentNode } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { ServerMetrics, Transport } from '../metrics/server-metrics.js';
import { observeGroupedSubscription } from './fanout/plugin.js';

export const METRICS_PATH = '/metrics';

export function useMetrics(metrics: ServerMetrics): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== METRICS_PATH) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      const body = await metrics.scrape();
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : body, { headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' } }),
      );
    },
    onSubscribe({ args }) {
      const field = rootFieldOf(args.document as DocumentNode, args.operationName as string | null | undefined);
      const transport = transportOf(args.contextValue);
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) return; // refused before it started (errors are logged elsewhere)
          const end = metrics.subscriptionStarted(field, transport);
          const tally = metrics.eventTally(field, transport);
          // a grouped graphql-ws subscription counts its own frames and end: no wrapper on its stream
          if (observeGroupedSubscription(args.contextValue, tally, end)) return;
          return {
            onNext: () => {
              tally.count++;
            },
            onEnd: end,
          };
        },
      };
    },
  };
}

/** The subscription's root field (aliases ignored), so label values are bounded by the schema. */
function rootFieldOf(document: DocumentNode, operationName: string | null | undefined): string {
  const selection = getOperationAST(document, operationName)?.selectionSet.selections[0];
  return selection?.kind === Kind.FIELD ? selection.name.value : 'unknown';
}

function transportOf(context: unknown): Transport {
  const request = (context as { request?: { headers?: Headers } }).request;
  if (!request?.headers) return 'graphql-ws'; // graphql-ws contexts carry the socket, not a Fetch Request
  return request.headers.get('accept')?.includes('text/event-stream') ? 'sse' : 'http';
}
