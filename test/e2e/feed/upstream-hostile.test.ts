/**
 * A hostile or broken upstream cannot take the server down (issue 12, findings 8-10): far-future
 * or microsecond tick_time, exponent prices, 24-digit seq and oversized REST answers are dropped
 * and counted at the boundary; /health keeps answering quickly and the other symbols keep ticking.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PLANS } from '../../../src/feed/alltick/plans.js';
import { Cmd } from '../../../src/feed/alltick/protocol.js';
import { AllTickRestClient } from '../../../src/feed/alltick/rest.js';
import { collect, dispose, QUOTES_SUBSCRIPTION, startStack, wsClient, type QuoteData, type Stack } from '../../support/helpers.js';
import { metricSum } from '../../support/metrics.js';
import { clearOfMinuteTurn } from '../../support/time.js';

afterEach(dispose);

type Result<T> = { data?: T | null; errors?: readonly { message: string }[] };

/** /health's answer time in ms. */
async function healthMs(stack: Stack): Promise<number> {
  const started = performance.now();
  const res = await fetch(stack.url.replace('/graphql', '/health'));
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return performance.now() - started;
}

const parseFailures = (stack: Stack) => metricSum(stack, 'alltick_upstream_parse_failures_total', { endpoint: 'quote' });

const hostileTrade = (data: Record<string, unknown>) =>
  JSON.stringify({
    cmd_id: Cmd.TradePush,
    data: { code: 'BTCUSDT', seq: '1', tick_time: String(Date.now()), price: '1', volume: '1', trade_direction: 1, ...data },
  });

describe('hostile upstream pushes', () => {
  it('far-future and microsecond tick_time, exponent prices and 24-digit seq are dropped and counted; the server stays responsive and nothing freezes', async () => {
    const stack = await startStack();
    const quotes = collect<Result<{ quotes: QuoteData }>>(
      wsClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['BTCUSDT', 'ETHUSDT'], depth: 0 } }) as AsyncIterableIterator<
        Result<{ quotes: QuoteData }>
      >,
    );
    const candles = collect<Result<{ candles: { time: string; close: string; final: boolean } }>>(
      wsClient(stack).iterate({ query: 'subscription { candles(symbol: "BTCUSDT", interval: MINUTE_1) { time close final } }' }) as AsyncIterableIterator<
        Result<{ candles: { time: string; close: string; final: boolean } }>
      >,
    );
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual(['BTCUSDT', 'ETHUSDT']));
    const first = stack.sim.pushTrade('BTCUSDT', { price: '100.5' }).data;
    await vi.waitFor(() => expect(quotes.items.some((r) => r.data?.quotes.price === '100.5')).toBe(true));
    const failuresBefore = await parseFailures(stack);

    const now = Date.now();
    const hostile = [
      hostileTrade({ tick_time: String(now * 1000), seq: String(BigInt(first.seq) + 1n) }), // microseconds
      hostileTrade({ tick_time: String(now + 30 * 24 * 3_600_000), seq: String(BigInt(first.seq) + 2n) }), // a month ahead
      hostileTrade({ price: '1e-5000000', seq: String(BigInt(first.seq) + 3n) }),
      hostileTrade({ volume: '9'.repeat(5000), seq: String(BigInt(first.seq) + 4n) }),
      hostileTrade({ seq: '9'.repeat(24), tick_time: String(now + 60_000) }), // would outrank every later trade
    ];
    for (const frame of hostile) expect(stack.sim.sendRaw(frame, { endpoint: 'quote' })).toBe(1);

    expect(await healthMs(stack)).toBeLessThan(500);
    await vi.waitFor(async () => expect(await parseFailures(stack)).toBe(failuresBefore + hostile.length));

    // both symbols keep ticking; BTCUSDT's quote and candle follow the next real trades
    await clearOfMinuteTurn(3000, 'the forming candle read next is the one this trade goes into');
    stack.sim.pushTrade('BTCUSDT', { price: '101.25' });
    stack.sim.pushTrade('ETHUSDT', { price: '2001.5' });
    await vi.waitFor(() => {
      expect(quotes.items.some((r) => r.data?.quotes.symbol === 'BTCUSDT' && r.data.quotes.price === '101.25')).toBe(true);
      expect(quotes.items.some((r) => r.data?.quotes.symbol === 'ETHUSDT' && r.data.quotes.price === '2001.5')).toBe(true);
      expect(candles.items.at(-1)?.data?.candles).toMatchObject({ close: '101.25', final: false });
    });
    // no bar from the future, no price that is not plain
    const bars = candles.items.map((r) => r.data?.candles);
    expect(bars.every((b) => b && Date.parse(b.time) <= Date.now() + 60_000)).toBe(true);
    expect(JSON.stringify(quotes.items)).not.toMatch(/e-|9{24}/);
    expect(await healthMs(stack)).toBeLessThan(500);
  });
});

describe('oversized REST answers', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  /** A REST host whose every answer is an endless JSON body; resolves with the bytes it got to write. */
  async function endlessHost(withLength: boolean): Promise<{ baseUrl: string; written: () => number; ended: Promise<void> }> {
    let written = 0;
    let ended!: () => void;
    const endedPromise = new Promise<void>((resolve) => (ended = resolve));
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...(withLength && { 'content-length': String(300 * 1024 * 1024) }) });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      res.write('{"ret":200,"msg":"ok","data":{"tick_list":[');
      const pump = () => {
        while (!res.destroyed && written < 300 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.on('close', () => ended());
      pump();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, written: () => written, ended: endedPromise };
  }

  const plan = { ...PLANS.basic, rest: { ...PLANS.basic.rest, perEndpointIntervalMs: 0, batchKlineIntervalMs: 0, perMinute: 100_000 } };

  it.each([
    ['streamed without a length', false],
    ['declared with a Content-Length', true],
  ])('a 300 MB answer %s is aborted at the cap, long before its end', async (_name, withLength) => {
    const host = await endlessHost(withLength);
    const rest = new AllTickRestClient({ baseUrl: host.baseUrl, token: 'tok', plan, maxBodyBytes: 1024 * 1024, timeoutMs: 30_000 });
    const heapBefore = process.memoryUsage().heapUsed;
    const error = await rest.tradeTicks(['BTCUSDT']).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/over the 1048576-byte cap/);
    await host.ended; // the connection was dropped
    expect(host.written()).toBeLessThan(32 * 1024 * 1024);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(rest.status().lastError?.message).toMatch(/cap/);
  });
});
