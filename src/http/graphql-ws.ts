/**
 * graphql-ws on the HTTP server's `/graphql` path, sharing Yoga's envelop pipeline (parse and
 * validate caches, error masking, plugins) so both transports behave the same.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { setDeliveryTarget } from './fanout/plugin.js';

/** Largest client message accepted on the WebSocket. */
export const WS_MAX_PAYLOAD = 64 * 1024;

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

export function attachGraphQLWs(httpServer: Server, yoga: YogaServerInstance<any, any>): { dispose(): void | Promise<void> } {
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: WS_MAX_PAYLOAD });
  return useServer<Record<string, unknown>, { socket: unknown; request: unknown }>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onSubscribe: async (ctx, id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const args: ExecutionArgs = {
          schema,
          operationName: params.operationName ?? null,
          document: parse(params.query),
          variableValues: params.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
        // shareable subscriptions write their frames straight to this socket (src/http/fanout)
        setDeliveryTarget(args.contextValue as object, { socket: ctx.extra.socket as WebSocket, request: ctx.extra.request as IncomingMessage, id });
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? errors : args;
      },
    },
    wsServer,
  );
}
