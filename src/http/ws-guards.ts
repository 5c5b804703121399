/**
 * graphql-ws hooks for the client rules: connections per address (HTTP 429 at the upgrade), the
 * API key in `connectionParams` or the upgrade's Authorization header (close 4401 before any
 * subscription), and subscriptions per connection (an error for the one too many).
 */
import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import type { Context as WsContext } from 'graphql-ws';
import type { WebSocket } from 'ws';
import { bearerKey, connectionParamsKey } from './api-keys.js';
import type { ClientGuards, RequestHead } from './client-guards.js';
import { ErrorCode } from '../clients/error-codes.js';
import { CloseCode } from '../clients/close-codes.js';

export type WsExtra = { socket: WebSocket; request: RequestHead };

export interface WsGuards {
  maxPayload: number;
  connectionInitWaitTimeout: number;
  /** ws `verifyClient`: refuse the upgrade with an HTTP status */
  verifyClient(info: { req: IncomingMessage }, callback: (ok: boolean, status?: number, message?: string, headers?: Record<string, string>) => void): void;
  /** graphql-ws onConnect: false refuses (the socket is already closed with a code) */
  onConnect(ctx: WsContext<Record<string, unknown> | undefined, WsExtra>): boolean;
  /** errors for a subscribe that breaks a connection limit, or null */
  checkSubscribe(ctx: WsContext<Record<string, unknown> | undefined, WsExtra>): GraphQLError[] | null;
}

export function createWsGuards(guards: ClientGuards): WsGuards {
  const { config } = guards;
  return {
    maxPayload: config.WS_MAX_PAYLOAD_BYTES,
    connectionInitWaitTimeout: config.CONNECTION_INIT_TIMEOUT_MS,
    verifyClient({ req }, callback) {
      const address = guards.addressOf(req);
      const release = guards.connections.acquire(address);
      if (!release) {
        guards.countRefusal(ErrorCode.TooManyConnections);
        return callback(false, 429, `Too many connections from this address (at most ${config.MAX_CONNECTIONS_PER_ADDRESS})`, { 'retry-after': '1' });
      }
      // the upgrade's TCP socket is the WebSocket's: its end frees the slot, whatever happened
      req.socket.on('close', release); // 'close' comes once (`on` spares a once-wrapper per socket)
      callback(true);
    },
    onConnect(ctx) {
      const request = ctx.extra.request;
      const key = connectionParamsKey(ctx.connectionParams) ?? bearerKey(request.headers.authorization);
      const auth = guards.authenticate(request, key);
      if (auth.ok) return true;
      guards.countRefusal(ErrorCode.Unauthenticated);
      ctx.extra.socket.close(CloseCode.Unauthorized, `Unauthorized: ${auth.reason}`.slice(0, 120));
      return false;
    },
    checkSubscribe(ctx) {
      const max = guards.identityOf(ctx.extra.request).limits.maxSubscriptionsPerConnection;
      // graphql-ws has already registered the new id when onSubscribe runs
      const live = Object.keys(ctx.subscriptions).length;
      if (max > 0 && live > max) {
        guards.countRefusal(ErrorCode.TooManySubscriptions);
        return [
          new GraphQLError(`too many subscriptions on this connection: at most ${max}; complete one first or open another connection`, {
            extensions: { code: ErrorCode.TooManySubscriptions, limit: max },
          }),
        ];
      }
      return null;
    },
  };
}
