import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebSocketServer } from 'ws';

export interface BenchServer {
  port: number;
  /** open WebSocket connections */
  connections(): number;
  stop(): Promise<void>;
}

/** Listens on a free loopback port; `stop` drops every socket, then stops the feed behind the server. */
export async function listenBenchServer(httpServer: Server, wss: WebSocketServer, running: { stop(): Promise<void> }): Promise<BenchServer> {
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return {
    port: (httpServer.address() as AddressInfo).port,
    connections: () => wss.clients.size,
    stop: async () => {
      for (const ws of wss.clients) ws.terminate();
      httpServer.closeAllConnections();
      httpServer.close();
      await running.stop();
    },
  };
}
