/**
 * The ceiling: no GraphQL at all. The same upstream and feed as the real server; each event is
 * serialized once into a graphql-ws `next` frame and that same string is sent to every socket
 * subscribed to its symbol. Speaks just enough graphql-transport-ws for the bench clients.
 *
 * `floor` (BENCH_VARIANTS=floor): the same, but the frame is encoded and framed once and the same
 * bytes go straight to each TCP socket — one `write` per message and nothing else, the least any
 * Node server can do per delivered message with sockets used one write at a time.
 */
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../../src/config.js';
import { quoteView, type SymbolSnapshot } from '../../src/feed/cache.js';
import { startFeed, type FeedOptions } from '../../src/app/start-feed.js';
import type { Logger } from '../../src/logger.js';
import { listenBenchServer, type BenchServer } from './types.js';
import { nextHead, SharedPayload } from '../../src/http/fanout/frame.js';

const RAW_ADDRESS = { id: 'raw', head: nextHead('raw') };

export async function startRawServer(config: Config, logger: Logger, timings: FeedOptions['timings'], floor = false): Promise<BenchServer> {
  const running = await startFeed({ config, logger, timings });
  const sockets = new Map<string, Set<WebSocket>>();
  const lastFrame = new Map<string, string>();

  const broadcast = (snapshot: SymbolSnapshot) => {
    const frame = JSON.stringify({ id: 'raw', type: 'next', payload: { data: { quotes: view(snapshot) } } });
    lastFrame.set(snapshot.symbol, frame);
    if (floor) {
      const bytes = new SharedPayload(JSON.stringify({ data: { quotes: view(snapshot) } })).frameFor(RAW_ADDRESS);
      for (const ws of sockets.get(snapshot.symbol) ?? []) (ws as unknown as { _socket: Socket })._socket.write(bytes);
      return;
    }
    for (const ws of sockets.get(snapshot.symbol) ?? []) ws.send(frame);
  };

  const httpServer = createServer();
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', perMessageDeflate: false });
  wss.on('connection', (ws) => {
    const mine: string[] = [];
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: { variables?: { symbols?: string[] } } };
      if (message.type === 'connection_init') ws.send('{"type":"connection_ack"}');
      else if (message.type === 'ping') ws.send('{"type":"pong"}');
      else if (message.type === 'subscribe') {
        for (const symbol of message.payload?.variables?.symbols ?? []) {
          let set = sockets.get(symbol);
          if (!set) {
            set = new Set();
            sockets.set(symbol, set);
            running.feed.watch([symbol], 1, broadcast); // one upstream interest per symbol, never released (bench)
          }
          set.add(ws);
          mine.push(symbol);
          const last = lastFrame.get(symbol);
          if (last) ws.send(last);
        }
      }
    });
    ws.on('close', () => mine.forEach((s) => sockets.get(s)?.delete(ws)));
  });
  return listenBenchServer(httpServer, wss, running);
}

/** The Quote of the GraphQL servers, at depth 1, with `time` as they format it. */
function view(snapshot: SymbolSnapshot) {
  const q = quoteView(snapshot, 1);
  return { ...q, time: q.time === null ? null : new Date(q.time).toISOString() };
}
