/**
 * The WebSocket handshake gate, run on the HTTP server's 'upgrade' event before any upgrade so
 * it can still answer with a plain HTTP status: unknown path 404, a `refuseConnections` window
 * (429 by default), token missing/unknown 401 (§1.3, §7.1), and the per-token connection cap
 * (§3.3). What passes becomes a WsSession.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { ENDPOINTS, ENDPOINT_PATHS, type Endpoint } from '../feed/alltick/symbols.js';
import { Ret } from '../feed/alltick/protocol.js';
import { SIM_CLOSE_REASONS, SimCloseCode } from './close-codes.js';
import { bareFrame, httpErrorBody, unauthorizedBody } from './frames.js';
import { checkToken, type ResolvedOptions } from './options.js';
import type { UpgradeAttempt, UpgradeOutcome } from './record.js';

export interface UpgradeContext {
  readonly options: ResolvedOptions;
  readonly wss: WebSocketServer;
  /** the HTTP status to refuse every upgrade with right now, or null */
  refusal(): number | null;
  /** live connections of a token on an endpoint */
  liveCount(token: string, endpoint: Endpoint): number;
  /** turns an upgraded socket into a session; returns its id */
  accept(ws: WebSocket, endpoint: Endpoint, token: string): number;
  onAttempt(attempt: UpgradeAttempt): void;
}

function writeHttpError(socket: Duplex, status: number, body: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export function endpointOfPath(pathname: string): Endpoint | null {
  return ENDPOINTS.find((e) => ENDPOINT_PATHS[e].ws === pathname) ?? null;
}

export function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: UpgradeContext): void {
  socket.on('error', () => socket.destroy());
  const url = new URL(req.url ?? '/', 'http://localhost');
  const endpoint = endpointOfPath(url.pathname);
  const at = Date.now();
  const reject = (status: number, outcome: UpgradeOutcome, body: string) => {
    ctx.onAttempt({ at, endpoint, status, outcome });
    writeHttpError(socket, status, body);
  };
  /** Upgrades, sends one frame and closes: how AllTick "directly disconnects" (§3.3). */
  const acceptThenClose = (outcome: UpgradeOutcome, frame: string, code: SimCloseCode) => {
    ctx.wss.handleUpgrade(req, socket, head, (ws) => {
      ctx.onAttempt({ at, endpoint, status: 101, outcome });
      ws.on('error', () => {});
      ws.send(frame);
      ws.close(code, SIM_CLOSE_REASONS[code]);
    });
  };

  if (endpoint === null) return reject(404, 'not-found', httpErrorBody(404));
  const refusal = ctx.refusal();
  if (refusal !== null) return reject(refusal, 'refused', httpErrorBody(refusal));

  const token = url.searchParams.get('token');
  const check = checkToken(token, ctx.options.tokens);
  // A missing token is always refused at the handshake, as observed on HTTP (§1.3).
  if (check === 'missing') return reject(401, 'token-missing', unauthorizedBody('missing'));
  if (check === 'invalid') {
    if (ctx.options.badTokenMode === 'reject-upgrade') return reject(401, 'token-invalid', unauthorizedBody('invalid'));
    return acceptThenClose('token-invalid-frame', bareFrame(Ret.TokenInvalid), SimCloseCode.TokenInvalid);
  }
  const tok = token as string;
  if (ctx.liveCount(tok, endpoint) >= ctx.options.maxConnections) {
    if (ctx.options.connectionLimitMode === 'reject-429') return reject(429, 'connection-limit-429', httpErrorBody(429));
    return acceptThenClose('connection-limit', bareFrame(Ret.TooManyRequestsClosed), SimCloseCode.ConnectionLimit);
  }
  ctx.wss.handleUpgrade(req, socket, head, (ws) => {
    const sessionId = ctx.accept(ws, endpoint, tok);
    ctx.onAttempt({ at, endpoint, status: 101, outcome: 'accepted', sessionId });
  });
}
