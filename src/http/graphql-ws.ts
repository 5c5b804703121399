/**
 * graphql-ws on the HTTP server's `/graphql` path, sharing Yoga's envelop pipeline (parse and
 * validate caches, error masking, plugins) so both transports behave the same. The socket side
 * (operation ids, refused frames) is ./ws-transport.ts.
 */
import type { Server } from 'node:http';
import { GraphQLError, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import { ErrorCode } from '../clients/error-codes.js';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Context } from '../schema/context.js';
import { publicErrors } from './public-errors.js';
import type { WsGuards } from './ws-guards.js';
import { groupedStreamOf, setDeliveryTarget } from './fanout/plugin.js';
import { serveGraphQLWs, type WsTransportOptions } from './ws-transport.js';

/** Largest client message accepted on the WebSocket, unless `guards` say otherwise. */
export const WS_MAX_PAYLOAD = 64 * 1024;

/** What Yoga's envelop hands out (typed `any` by envelop). */
interface Enveloped extends EnvelopedRoot {
  schema: GraphQLSchema;
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
  contextFactory: () => unknown;
}

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

export function attachGraphQLWs(
  httpServer: Server,
  yoga: YogaServerInstance<Record<string, unknown>, Context>,
  transport: WsTransportOptions,
  guards?: WsGuards,
): { dispose(): void | Promise<void> } {
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: guards?.maxPayload ?? WS_MAX_PAYLOAD,
    ...(guards && { verifyClient: guards.verifyClient }),
  });
  return serveGraphQLWs<Record<string, unknown> | undefined>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      ...(guards && { connectionInitWaitTimeout: guards.connectionInitWaitTimeout, onConnect: (ctx) => guards.onConnect(ctx) }),
      // execution errors are masked and coded by Yoga's envelop; what is for HTTP only goes here
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: publicErrors(result.errors, ErrorCode.Internal) } : undefined),
      onError: (_ctx, _id, _payload, errors) => publicErrors(errors, ErrorCode.Internal),
      // a grouped subscription is iterated as its bare group member (fanout/plugin.ts)
      onOperation: (_ctx, _id, _payload, args, result) => (Symbol.asyncIterator in Object(result) ? groupedStreamOf(args.contextValue) : undefined),
      onSubscribe: async (ctx, id, params) => {
        const refused = guards?.checkSubscribe(ctx);
        if (refused) return refused;
        // the GraphQL context starts from what the server reads of the connection (not graphql-ws's
        // whole ctx: no plugin here reads it, and the context lives as long as the subscription)
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        }) as Enveloped;
        const args: ExecutionArgs = {
          schema,
          operationName: params.operationName ?? null,
          document: parseOrError(parse, params.query),
          variableValues: params.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
        if (args.document instanceof GraphQLError) return publicErrors([args.document], ErrorCode.ParseFailed);
        // shareable subscriptions write their frames straight to this socket (src/http/fanout)
        // every field from the start: the object keeps them in place, with no extra property store (it lives as long as the subscription)
        const target = { socket: ctx.extra.socket, request: ctx.extra.request, id, grouped: false, frames: undefined, onEnd: undefined, member: undefined };
        setDeliveryTarget(args.contextValue as object, target);
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? publicErrors(errors, ErrorCode.ValidationFailed) : args;
      },
    },
    wsServer,
    transport,
  );
}

/** A syntax error is the client's: answer it as an `error` message, never close the socket with 4500. */
function parseOrError(parse: (source: string) => ExecutionArgs['document'], query: string): ExecutionArgs['document'] {
  try {
    return parse(query);
  } catch (error) {
    return (error instanceof GraphQLError ? error : new GraphQLError(String(error))) as unknown as ExecutionArgs['document'];
  }
}
