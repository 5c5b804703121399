/**
 * The `ws` binding of graphql-ws's protocol server (what graphql-ws/use/ws does), with two rules
 * of this server added at the socket, where they cannot be bypassed:
 *
 * - Operation ids (operation-ids.ts): a `subscribe` with an id the client has not completed closes
 *   the socket with 4409, as the protocol says; one reusing an id the client has just completed
 *   waits until graphql-ws has finished the old subscription, so the two never share its slot
 *   (graphql-ws alone drops one of them unseen, or lets the old one run on, never released), and
 *   nothing of the old one goes out after the client's `complete`.
 * - A frame `ws` refuses (larger than maxPayload, invalid UTF-8, bad framing) closes the socket
 *   with the code `ws` chose (1009, 1007, 1002) and logs one line, no stack trace.
 *
 * It also keeps what each connection holds for its life small (idle connections are many): the
 * upgrade request is kept as its headers and TCP socket only, the wait for `connection_init` is
 * a timer dropped once it came (graphql-ws keeps its own for the connection's life), and no
 * listener is a once-wrapper.
 */
import { CloseCode as GraphQLWsCloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, MessageType, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { CloseCode } from '../clients/close-codes.js';
import type { LogSink } from '../logger.js';
import { requestHead } from './client-guards.js';
import { OperationIds } from './operation-ids.js';
import type { WsExtra } from './ws-guards.js';

export interface WsTransportOptions {
  logger: Pick<LogSink, 'warn'> & { error(obj: object, msg?: string): void };
  /** a ping every this many ms; no pong before the next one ends the socket (0 = off) */
  keepAliveMs?: number;
}

/** graphql-ws's close reason limit (a close frame's reason is at most 123 bytes). */
const closeReason = (reason: string, fallback: string) => (Buffer.byteLength(reason) <= 123 ? reason : fallback);

/** graphql-ws's default wait for `connection_init`. */
const CONNECTION_INIT_WAIT_MS = 3000;

/** A message's type and its id, when it has a string one (graphql-ws judges the rest). */
function headOf(text: string): { type?: unknown; id?: string } {
  try {
    const message = JSON.parse(text) as { type?: unknown; id?: unknown } | null;
    return { type: message?.type, ...(typeof message?.id === 'string' && { id: message.id }) };
  } catch {
    return {};
  }
}

export function serveGraphQLWs<P extends Record<string, unknown> | undefined>(
  options: ServerOptions<P, WsExtra>,
  wsServer: WebSocketServer,
  { logger, keepAliveMs = 12_000 }: WsTransportOptions,
): { dispose(): Promise<void> } {
  const initWaitMs = options.connectionInitWaitTimeout ?? CONNECTION_INIT_WAIT_MS;
  const server = makeServer({ ...options, connectionInitWaitTimeout: 0 }); // the wait is below
  const keepAlive = keepAliveMs > 0 ? new KeepAlive(keepAliveMs) : null;
  // graphql-ws's own handleProtocols answers a handshake without graphql-transport-ws with no
  // subprotocol, which clients fail as 1006 before they could see a close code: accept what they
  // offered, and graphql-ws then closes with 4406 (wrong subprotocol)
  wsServer.options.handleProtocols = (protocols) =>
    protocols.has(GRAPHQL_TRANSPORT_WS_PROTOCOL) ? GRAPHQL_TRANSPORT_WS_PROTOCOL : (protocols.values().next().value ?? false);
  wsServer.on('error', (err) => logger.error({ err }, 'WebSocket server error'));
  wsServer.on('connection', (socket, request) => {
    // what is read of the upgrade request later: a few headers and the TCP socket (client-guards.ts)
    const upgrade = requestHead(request);
    socket.on('error', (err: Error & { code?: string }) => {
      // `ws` has already started the close with the right code; say why in one line
      logger.warn({ code: err.code, reason: err.message, address: upgrade.socket.remoteAddress }, 'WebSocket frame refused');
    });
    keepAlive?.add(socket);
    let initWait: NodeJS.Timeout | null =
      initWaitMs > 0 && Number.isFinite(initWaitMs)
        ? setTimeout(() => socket.close(GraphQLWsCloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout'), initWaitMs)
        : null;
    const initCame = () => {
      if (initWait) clearTimeout(initWait);
      initWait = null;
    };
    const ids = new OperationIds();
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            if (ids.anySilenced) {
              const { id } = headOf(data);
              if (id !== undefined && ids.silenced(id)) return resolve(); // it crossed the client's complete
            }
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => socket.close(code, closeReason(reason ?? '', 'Closed')),
        onMessage: (handle) => {
          // graphql-ws's handler of a subscribe message returns when the subscription ends: this
          // waits for it holding the text only, not the message's Buffer (per subscription)
          const run = async (text: string, subscribeId?: string) => {
            try {
              await handle(text);
            } catch (err) {
              logger.error({ err }, 'graphql-ws message handling failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            } finally {
              const waited = subscribeId === undefined ? undefined : ids.ended(subscribeId);
              if (waited !== undefined && socket.readyState === socket.OPEN) void run(waited, subscribeId);
            }
          };
          const handleText = (text: string) => {
            const { type, id } = headOf(text);
            if (type === MessageType.ConnectionInit) initCame();
            if (id !== undefined && type === MessageType.Subscribe) {
              const verdict = ids.subscribe(id, text);
              if (verdict === 'refuse')
                return socket.close(CloseCode.SubscriberAlreadyExists, closeReason(`Subscriber for ${id} already exists`, 'Subscriber already exists'));
              if (verdict === 'run') void run(text, id);
              return;
            }
            if (id !== undefined && type === MessageType.Complete && ids.complete(id) === 'cancelled') return;
            void run(text);
          };
          socket.on('message', (data) => handleText((data as Buffer).toString())); // binaryType 'nodebuffer': one Buffer per message
        },
      },
      { socket, request: upgrade },
    );
    socket.on('close', (code, reason) => {
      initCame();
      keepAlive?.remove(socket);
      void closed(code, String(reason));
    });
  });
  return {
    dispose: async () => {
      keepAlive?.stop();
      for (const client of wsServer.clients) client.close(CloseCode.GoingAway, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** How many slices of the sockets take turns, so that pings go out spread over the interval, not in one burst. */
const KEEP_ALIVE_SLICES = 8;

/**
 * Pings every socket every `ms`; a socket that has not answered (pong) by its next ping is
 * terminated. One timer for all sockets of the server, each socket in one of a few slices pinged in
 * turn, instead of a timer, a closure and a listener per socket (idle connections are many).
 */
class KeepAlive {
  /** per slice: socket → it answered since its last ping */
  private readonly slices = Array.from({ length: KEEP_ALIVE_SLICES }, () => new Map<WebSocket, boolean>());
  private next = 0;
  private added = 0;
  private size = 0;
  private timer: NodeJS.Timeout | null = null;
  /** one pong listener for every socket (`this` is the socket) */
  private readonly onPong: (this: WebSocket) => void;

  constructor(private readonly ms: number) {
    const slices = this.slices;
    this.onPong = function (this: WebSocket) {
      for (const slice of slices) if (slice.has(this)) slice.set(this, true);
    };
  }

  add(socket: WebSocket): void {
    this.slices[this.added++ % KEEP_ALIVE_SLICES]!.set(socket, true);
    socket.on('pong', this.onPong);
    if (++this.size === 1) {
      this.timer = setInterval(() => this.tick(), this.ms / KEEP_ALIVE_SLICES);
      this.timer.unref();
    }
  }

  remove(socket: WebSocket): void {
    socket.off('pong', this.onPong);
    for (const slice of this.slices) if (slice.delete(socket) && --this.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const slice = this.slices[this.next]!;
    this.next = (this.next + 1) % KEEP_ALIVE_SLICES;
    for (const [socket, answered] of slice) {
      if (socket.readyState !== socket.OPEN) continue;
      if (!answered) {
        socket.terminate();
        continue;
      }
      slice.set(socket, false);
      socket.ping();
    }
  }
}
