/**
 * The ceiling: no GraphQL at all. The same upstream and feed as the real server; each event is
 * serialized once into a graphql-ws `next` frame and that same string is sent to every socket
 * subscribed to its symbol. Speaks just enough graphql-transport-ws for the bench clients.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../../src/config.js';
import { quoteView, type SymbolSnapshot } from '../../src/feed/cache.js';
import { startFeed, type FeedOptions } from '../../src/app/start-feed.js';
import type { Logger } from '../../src/logger.js';
import { listenBenchServer, type BenchServer } from './types.js';

export async function startRawServer(config: Config, logger: Logger, timings: FeedOptions['timings']): Promise<BenchServer> {
  const running = await startFeed({ config, logger, timings });
  const sockets = new Map<string, Set<WebSocket>>();
  const lastFrame = new Map<string, string>();

  const broadcast = (snapshot: SymbolSnapshot) => {
    const frame = JSON.stringify({ id: 'raw', type: 'next', payload: { data: { quotes: view(snapshot) } } });
    lastFrame.set(snapshot.symbol, frame);
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
