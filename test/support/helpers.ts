/**
 * Test fixtures: a simulator and a server wired to it on port 0, graphql-ws / graphql-sse clients,
 * and a collector that reads a subscription in the background. Everything made is disposed by
 * `dispose()` (call it in afterEach).
 */
import { expect, vi } from 'vitest';
import WebSocket from 'ws';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/server.js';
import { createLogger, type Logger } from '../../src/logger.js';

export interface Stack {
  sim: Simulator;
  server: RunningServer;
  /** http://127.0.0.1:port/graphql */
  url: string;
  wsUrl: string;
  /** stops the server and starts a fresh one (empty memory) on the same port: a restart */
  restart(): Promise<void>;
}

const disposers: (() => unknown)[] = [];

export async function dispose(): Promise<void> {
  while (disposers.length) await disposers.pop()?.();
}

/** Fast timings so tests do not wait for the real 1 s / 3 s spacing. */
export const FAST = { requestSpacingMs: 50, subscribeSpacingMs: 0, heartbeatIntervalMs: 2000, reconnectGapMs: 200, ackTimeoutMs: 3000 };

export async function startStack(
  options: { sim?: SimulatorOptions; env?: Record<string, string>; timings?: ServerOptions['timings']; logger?: Logger } = {},
): Promise<Stack> {
  // spacing under FAST's 50 (+5 margin): the simulator shares this process and reads frames late when it is busy
  // (30 was tried: no better, and one unexplained failure of first-data's drop test came with it)
  const sim = await createSimulator({ ticksPerSecond: 0, spacingMs: 40, tokenSpacingMs: 0, ...options.sim });
  disposers.push(() => sim.close());
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    ALLTICK_TOKEN: 'test-token',
    ALLTICK_WS_URL: sim.wsUrl,
    ALLTICK_API_URL: sim.httpUrl,
    LINGER_MS: '300',
    LOG_LEVEL: 'silent',
    // every test client comes from 127.0.0.1, in bursts: per-address limits are off here and
    // tested on their own (test/limits.test.ts)
    OPERATIONS_PER_SECOND: '0',
    MAX_CONNECTIONS_PER_ADDRESS: '0',
    ...options.env,
  });
  const start = async (port: number) => {
    const server = await startServer({
      config: { ...config, PORT: port },
      logger: options.logger ?? createLogger('silent'),
      timings: { ...FAST, ...options.timings },
    });
    disposers.push(() => server.stop());
    return server;
  };
  const server = await start(0);
  // the upstream counts as connected once AllTick answered a request on it: tests start from a live
  // feed (tests of a broken upstream just begin after at most 3 s)
  if (!config.REDIS_URL) await vi.waitFor(() => expect(server.upstream.connected).toBe(true), { timeout: 3000, interval: 10 }).catch(() => {});
  const url = `http://127.0.0.1:${server.port}/graphql`;
  const stack: Stack = {
    sim,
    server,
    url,
    wsUrl: url.replace('http', 'ws'),
    restart: async () => {
      await stack.server.stop();
      stack.server = await start(server.port);
    },
  };
  return stack;
}

export function wsClient(stack: Stack): WsClient {
  const client = createWsClient({ url: stack.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  disposers.push(() => client.dispose());
  return client;
}

export function sseClient(stack: Stack) {
  const client = createSseClient({ url: stack.url, retryAttempts: 0 });
  disposers.push(() => client.dispose());
  return client;
}

export interface Collector<T> {
  items: T[];
  errors: unknown[];
  done: boolean;
  stop(): Promise<void>;
}

/** Reads an async iterator in the background into `items`. */
export function collect<T>(iterator: AsyncIterableIterator<T>): Collector<T> {
  const collector: Collector<T> = {
    items: [],
    errors: [],
    done: false,
    stop: async () => {
      await iterator.return?.();
    },
  };
  void (async () => {
    try {
      for await (const item of iterator) collector.items.push(item);
    } catch (error) {
      collector.errors.push(error);
    } finally {
      collector.done = true;
    }
  })();
  disposers.push(() => collector.stop());
  return collector;
}

export interface QuoteData {
  symbol: string;
  price: string | null;
  volume: string | null;
  time: string | null;
  seq: string | null;
  bids: { price: string; volume: string }[];
  asks: { price: string; volume: string }[];
}

export const QUOTES_SUBSCRIPTION = /* GraphQL */ `
  subscription Quotes($symbols: [String!]!, $depth: Int) {
    quotes(symbols: $symbols, depth: $depth) {
      symbol
      price
      volume
      time
      seq
      bids {
        price
        volume
      }
      asks {
        price
        volume
      }
    }
  }
`;

/** POSTs a GraphQL request and returns the JSON body. */
export async function gql(stack: Stack, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { data?: Record<string, unknown>; errors?: { message: string; extensions?: Record<string, unknown> }[] },
  };
}

/** A raw graphql-transport-ws socket, for ending a connection abruptly. */
export async function rawSubscribe(
  stack: Stack,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ socket: WebSocket; messages: unknown[] }> {
  const socket = new WebSocket(stack.wsUrl, 'graphql-transport-ws', { headers });
  const messages: unknown[] = [];
  disposers.push(() => socket.terminate());
  socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await new Promise<void>((resolve) => socket.once('message', () => resolve()));
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
  return { socket, messages };
}
