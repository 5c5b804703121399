/**
 * Time to first data of cold symbols (issue 13): the server on a simulator with Basic rules (1 s
 * per connection, 3 s between the token's subscription requests, enforced; REST limits on), one
 * `quotes` subscription to 8 symbols nobody asked for yet, over both endpoints, at depth 1. Prints,
 * per symbol, the time from subscribing to the first event carrying both a price and a non-empty
 * book, and the median and max. `npm run bench:first-data`.
 */
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer, type RunningServer } from '../src/server.js';
import { createSimulator, type Simulator } from '../src/simulator/server.js';

export const COLD_SYMBOLS = ['AAPL.US', 'MSFT.US', '700.HK', '600519.SH', 'EURUSD', 'GOLD', 'BTCUSDT', 'ETHUSDT'] as const;

const QUERY =
  'subscription FirstData($symbols: [String!]!) { quotes(symbols: $symbols, depth: 1) { symbol price seq event bookKnown bids { price } asks { price } } }';

export interface QuoteEvent {
  symbol: string;
  price: string | null;
  seq: string | null;
  event: string;
  bookKnown: boolean;
  bids: { price: string }[];
  asks: { price: string }[];
}

export interface FirstDataResult {
  /** ms from subscribing to the first event with a price and a non-empty book, per symbol */
  perSymbol: Record<string, number>;
  /** every event received, with its ms since subscribing */
  events: { at: number; quote: QuoteEvent }[];
  /** ms since subscribing at which the simulator saw each subscription request of the token (until the last first data) */
  listRequests: number[];
  /** epoch ms of subscribing */
  startedAt: number;
  median: number;
  max: number;
}

export interface FirstDataStack {
  sim: Simulator;
  server: RunningServer;
  close(): Promise<void>;
}

/** A simulator with Basic rules enforced and a server on it with the real timings (no test overrides). */
export async function startBasicStack(): Promise<FirstDataStack> {
  const sim = await createSimulator({ plan: 'basic', enforceTokenSpacing: true, restRateLimit: true });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    ALLTICK_TOKEN: 'first-data',
    ALLTICK_WS_URL: sim.wsUrl,
    ALLTICK_API_URL: sim.httpUrl,
    ALLTICK_PLAN: 'basic',
    LOG_LEVEL: 'silent',
  });
  const server = await startServer({ config, logger: createLogger('silent') });
  return {
    sim,
    server,
    close: async () => {
      await server.stop();
      await sim.close();
    },
  };
}

/** Subscribes `symbols` once the upstream is up and waits until each has had a price and a book (or `timeoutMs`). */
export async function measureFirstData(stack: FirstDataStack, symbols: readonly string[] = COLD_SYMBOLS, timeoutMs = 20_000): Promise<FirstDataResult> {
  const deadline = Date.now() + timeoutMs;
  while (!stack.server.upstream.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const client = createClient({ url: stack.server.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
  const events: FirstDataResult['events'] = [];
  const perSymbol: Record<string, number> = {};
  const framesBefore = stack.sim.record.frames.length;
  const start = performance.now();
  const startedAt = Date.now();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => resolve(), Math.max(0, deadline - Date.now()));
      client.subscribe<{ quotes: QuoteEvent }>(
        { query: QUERY, variables: { symbols } },
        {
          next: ({ data }) => {
            if (!data) return;
            const at = performance.now() - start;
            const quote = data.quotes;
            events.push({ at, quote });
            if (perSymbol[quote.symbol] === undefined && quote.price !== null && (quote.bids.length > 0 || quote.asks.length > 0)) {
              perSymbol[quote.symbol] = at;
              if (Object.keys(perSymbol).length === symbols.length) {
                clearTimeout(timer);
                resolve();
              }
            }
          },
          error: (error) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
          },
          complete: () => resolve(),
        },
      );
    });
  } finally {
    await client.dispose();
  }
  const listRequests = stack.sim.record.frames
    .slice(framesBefore)
    .filter((f) => f.cmd_id === 22002 || f.cmd_id === 22004)
    .map((f) => f.at - startedAt);
  const times = symbols.map((s) => perSymbol[s] ?? Infinity).sort((a, b) => a - b);
  const median = times.length % 2 ? times[(times.length - 1) / 2]! : (times[times.length / 2 - 1]! + times[times.length / 2]!) / 2;
  return { perSymbol, events, listRequests, startedAt, median, max: times.at(-1) ?? Infinity };
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const medians: number[] = [];
  const maxima: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const stack = await startBasicStack();
    try {
      const result = await measureFirstData(stack);
      console.log(`run ${run}: time to first event with a price and a non-empty book (subscription of 8 cold symbols, depth 1, Basic rules)`);
      for (const symbol of COLD_SYMBOLS) console.log(`  ${symbol.padEnd(10)} ${(result.perSymbol[symbol] ?? Infinity).toFixed(0).padStart(6)} ms`);
      console.log(
        `  median ${result.median.toFixed(0)} ms, max ${result.max.toFixed(0)} ms; upstream list requests at ${result.listRequests.map((t) => `${t} ms`).join(', ')}`,
      );
      medians.push(result.median);
      maxima.push(result.max);
    } finally {
      await stack.close();
    }
  }
  console.log(
    `over ${runs} runs: median of medians ${[...medians].sort((a, b) => a - b)[Math.floor(runs / 2)]!.toFixed(0)} ms, worst max ${Math.max(...maxima).toFixed(0)} ms (target: median ≤ 1500 ms, max ≤ 3000 ms)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
