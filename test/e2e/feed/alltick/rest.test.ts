import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AllTickError } from '../../../../src/feed/alltick/errors.js';
import { PLANS, type Plan } from '../../../../src/feed/alltick/plans.js';
import { RateLimiter } from '../../../../src/feed/alltick/rate-limiter.js';
import { AllTickRestClient, type RestLogger } from '../../../../src/feed/alltick/rest.js';

const TOKEN = 'tok-SECRET-0123456789abcdef-c-app';

interface Recorded {
  /** arrival time */
  at: number;
  method: string;
  rawUrl: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
  /** the parsed `query` (GET) or body (POST) request document */
  doc: { trace: string; data: Record<string, unknown> };
}
type Answer = { status?: number; body: unknown };

/** A fake AllTick REST host on 127.0.0.1:0 that records every request and answers with `respond`. */
let server: Server;
let baseUrl: string;
let requests: Recorded[] = [];
let respond: (req: Recorded) => Answer;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const query = url.searchParams.get('query');
      let doc: Recorded['doc'];
      try {
        doc = JSON.parse(req.method === 'POST' ? body : (query ?? 'null')) as Recorded['doc'];
      } catch {
        doc = { trace: '', data: {} };
      }
      const rec: Recorded = { at: Date.now(), method: req.method ?? '', rawUrl: req.url ?? '', url, headers: req.headers, body, doc };
      requests.push(rec);
      const answer = respond(rec);
      if (answer.body === HANG) return; // never answers
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const HANG = Symbol('hang');
const ok = (req: Recorded, data: unknown): Answer => ({ body: { ret: 200, msg: 'ok', trace: req.doc.trace, data } });
const codesOf = (req: Recorded) => (req.doc.data.symbol_list as { code: string }[]).map((s) => s.code);

/** Answers every method with well-formed data for what was asked. */
function defaultAnswer(req: Recorded): Answer {
  const method = req.url.pathname.replace(/^\/quote(-stock)?-b-api/, '');
  if (method === '/trade-tick') {
    return ok(req, {
      tick_list: codesOf(req).map((code) => ({
        code,
        seq: '27755950',
        tick_time: '1751068801000',
        price: '201.187000',
        volume: '100',
        turnover: '20118.7',
        trade_direction: 1,
      })),
    });
  }
  if (method === '/depth-tick') {
    return ok(req, {
      tick_list: codesOf(req).map((code) => ({
        code,
        seq: '1',
        tick_time: '1751068801000',
        bids: [{ price: '37.700000', volume: '100' }],
        asks: [{ price: '37.710000', volume: '200' }],
      })),
    });
  }
  if (method === '/batch-kline') {
    const items = req.doc.data.data_list as { code: string; kline_type: number }[];
    return ok(req, {
      kline_list: items.map((i) => ({
        code: i.code,
        kline_type: i.kline_type,
        kline_data: [{ timestamp: '1677829200', open_price: '1', high_price: '2', low_price: '0.5', close_price: '1.5', volume: '10', turnover: '15' }],
      })),
    });
  }
  if (method === '/static_info') {
    return ok(req, { static_info_list: codesOf(req).map((symbol) => ({ symbol, name_en: symbol })) });
  }
  return ok(req, { kline_list: [] });
}

/** Plan limits that never make a test wait. */
function fastPlan(rest: Partial<Plan['rest']> = {}): Plan {
  return {
    ...PLANS.basic,
    rest: { ...PLANS.basic.rest, perEndpointIntervalMs: 0, batchKlineIntervalMs: 0, perMinute: 100_000, ...rest },
  };
}

function client(options: { plan?: Plan; fetch?: typeof fetch; timeoutMs?: number; limiter?: RateLimiter; logger?: RestLogger } = {}) {
  return new AllTickRestClient({ baseUrl: `${baseUrl}/`, token: TOKEN, plan: options.plan ?? fastPlan(), ...options });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).not.toContain(TOKEN);
  expect((error as Error).message).not.toContain('SECRET');
  return error as Error;
}

beforeEach(() => {
  requests = [];
  respond = defaultAnswer;
});

describe('AllTickRestClient requests', () => {
  it('GETs /trade-tick with the token and a URL-encoded JSON query holding trace and data', async () => {
    await client().tradeTicks(['AAPL.US']);
    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req!.method).toBe('GET');
    expect(req!.url.pathname).toBe('/quote-stock-b-api/trade-tick');
    expect([...req!.url.searchParams.keys()]).toEqual(['token', 'query']);
    expect(req!.url.searchParams.get('token')).toBe(TOKEN);
    const query = req!.url.searchParams.get('query')!;
    expect(req!.rawUrl).toContain(`&query=${encodeURIComponent(query)}`);
    expect(JSON.parse(query)).toEqual({ trace: expect.any(String), data: { symbol_list: [{ code: 'AAPL.US' }] } });
    expect(JSON.stringify(req!.headers)).not.toContain(TOKEN);
  });

  it('sends the paths and data of every method to the right host', async () => {
    const c = client();
    await c.depthTicks(['EURUSD']);
    await c.kline({ code: 'GOLD', klineType: 10, limit: 3, endTimestamp: 1_700_000_000 });
    await c.kline({ code: '700.HK', klineType: 8, limit: 500 });
    await c.staticInfo(['600519.SH']);
    await c.batchKline([{ code: 'BTCUSDT', klineType: 1, limit: 2 }]);
    expect(requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      'GET /quote-b-api/depth-tick',
      'GET /quote-b-api/kline',
      'GET /quote-stock-b-api/kline',
      'GET /quote-stock-b-api/static_info',
      'POST /quote-b-api/batch-kline',
    ]);
    expect(requests.map((r) => r.doc.data)).toEqual([
      { symbol_list: [{ code: 'EURUSD' }] },
      { code: 'GOLD', kline_type: 10, kline_timestamp_end: 1_700_000_000, query_kline_num: 3, adjust_type: 0 },
      { code: '700.HK', kline_type: 8, kline_timestamp_end: 0, query_kline_num: 500, adjust_type: 0 },
      { symbol_list: [{ code: '600519.SH' }] },
      { data_list: [{ code: 'BTCUSDT', kline_type: 1, kline_timestamp_end: 0, query_kline_num: 2, adjust_type: 0 }] },
    ]);
    const post = requests[4]!;
    expect([...post.url.searchParams.keys()]).toEqual(['token']);
    expect(post.url.searchParams.get('token')).toBe(TOKEN);
    expect(post.headers['content-type']).toBe('application/json');
    expect(post.body).not.toContain(TOKEN);
  });

  it('uses a unique trace of at most 64 characters per request', async () => {
    const c = client();
    await c.tradeTicks(['AAPL.US', 'EURUSD']);
    await c.tradeTicks(['AAPL.US']);
    const traces = requests.map((r) => r.doc.trace);
    expect(traces).toHaveLength(3);
    expect(new Set(traces).size).toBe(3);
    for (const t of traces) expect(t).toMatch(/^.{1,64}$/);
  });

  it('splits codes by endpoint and chunks them to codesPerCall', async () => {
    const stocks = ['AAPL.US', '700.HK', '600519.SH', '000001.SZ', 'TSLA.US'];
    const others = ['EURUSD', 'GOLD', 'BTCUSDT'];
    const trades = await client({ plan: fastPlan({ codesPerCall: 2 }) }).tradeTicks([...stocks, ...others, 'AAPL.US']);
    const calls = requests.map((r) => [r.url.pathname, codesOf(r)]);
    expect(calls).toHaveLength(5);
    expect(calls).toEqual(
      expect.arrayContaining([
        ['/quote-stock-b-api/trade-tick', ['AAPL.US', '700.HK']],
        ['/quote-stock-b-api/trade-tick', ['600519.SH', '000001.SZ']],
        ['/quote-stock-b-api/trade-tick', ['TSLA.US']],
        ['/quote-b-api/trade-tick', ['EURUSD', 'GOLD']],
        ['/quote-b-api/trade-tick', ['BTCUSDT']],
      ]),
    );
    expect(trades.map((t) => t.symbol).sort()).toEqual([...stocks, ...others].sort());
  });

  it('makes exactly one call per endpoint when the codes fit in codesPerCall', async () => {
    const codes = ['AAPL.US', 'EURUSD', '700.HK', 'GOLD', 'BTCUSDT'];
    await client({ plan: fastPlan({ codesPerCall: 3 }) }).depthTicks(codes);
    expect(requests.map((r) => r.url.pathname).sort()).toEqual(['/quote-b-api/depth-tick', '/quote-stock-b-api/depth-tick']);
    expect(requests.flatMap(codesOf).sort()).toEqual([...codes].sort());
  });

  it('makes no request for an empty list, and rejects malformed codes before any request', async () => {
    const c = client();
    expect(await c.tradeTicks([])).toEqual([]);
    const error = await failure(c.tradeTicks(['AAPL.US', 'not a code']));
    expect(error.message).toContain('"not a code"');
    await failure(c.kline({ code: 'GOLD', klineType: 11, limit: 1 }));
    await failure(c.kline({ code: 'GOLD', klineType: 1, limit: 501 }));
    await failure(c.kline({ code: 'GOLD', klineType: 1, limit: 1, endTimestamp: 1_700_000_000_000 }));
    expect(requests).toHaveLength(0);
  });

  it('goes through the rate limiter for every request, keyed by method', async () => {
    const limiter = new RateLimiter({ limits: fastPlan() });
    const acquire = vi.spyOn(limiter, 'acquire');
    const c = client({ limiter, plan: fastPlan({ codesPerCall: 1 }) });
    await c.tradeTicks(['AAPL.US', 'EURUSD', 'GOLD']);
    await c.kline({ code: 'GOLD', klineType: 1, limit: 1 });
    await c.batchKline([{ code: 'GOLD', klineType: 1, limit: 2 }]);
    expect(acquire.mock.calls.map((args) => args[0])).toEqual(['/trade-tick', '/trade-tick', '/trade-tick', '/kline', '/batch-kline']);
    expect(limiter.stats().calls).toBe(requests.length);
  });

  it('spaces calls of one method by the plan gap (real clock)', async () => {
    const c = client({ plan: fastPlan({ perEndpointIntervalMs: 150, codesPerCall: 1 }) });
    const started = Date.now();
    await c.tradeTicks(['AAPL.US', 'TSLA.US', 'V.US']);
    expect(requests).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(c.limiter.stats()).toMatchObject({ calls: 3, waits: 2 });
  });
});

describe('AllTickRestClient responses', () => {
  it('normalizes ticks: string or integer seq/tick_time, 10-digit seconds to ms, decimals kept exactly', async () => {
    respond = (req) =>
      ok(req, {
        tick_list: [
          { code: 'AAPL.US', seq: '27755950', tick_time: '1751068801000', price: '201.187000', volume: '100', turnover: '20118.700000', trade_direction: 1 },
          { code: '1288.HK', seq: 1605509068000001, tick_time: 1605509068, price: '651.120000', volume: '300', trade_direction: 2 },
          { code: 'GOLD', seq: '42', tick_time: '1605509068', price: '2650.10', volume: '0', turnover: '32815.28', trade_direction: 0 },
        ],
      });
    const trades = await client().tradeTicks(['AAPL.US']);
    expect(trades).toEqual([
      { kind: 'trade', symbol: 'AAPL.US', seq: '27755950', time: 1751068801000, price: '201.187000', volume: '100', turnover: '20118.700000', side: 'BUY' },
      { kind: 'trade', symbol: '1288.HK', seq: '1605509068000001', time: 1605509068000, price: '651.120000', volume: '300', turnover: null, side: 'SELL' },
      { kind: 'trade', symbol: 'GOLD', seq: '42', time: 1605509068000, price: '2650.10', volume: '0', turnover: '32815.28', side: 'NEUTRAL' },
    ]);
  });

  it('normalizes depth snapshots', async () => {
    respond = (req) =>
      ok(req, {
        tick_list: [
          {
            code: '600000.SH',
            seq: 7,
            tick_time: 1677830357,
            bids: [
              { price: '37.700000', volume: '1200' },
              { price: '37.690000', volume: '300' },
            ],
            asks: [{ price: '37.710000', volume: '800' }],
          },
          { code: 'EURUSD', seq: '8', tick_time: '1677830357227', bids: [{ price: '1.08123' }], asks: null },
        ],
      });
    const books = await client().depthTicks(['600000.SH']);
    expect(books).toEqual([
      {
        kind: 'depth',
        symbol: '600000.SH',
        seq: '7',
        time: 1677830357000,
        bids: [
          { price: '37.700000', volume: '1200' },
          { price: '37.690000', volume: '300' },
        ],
        asks: [{ price: '37.710000', volume: '800' }],
      },
      { kind: 'depth', symbol: 'EURUSD', seq: '8', time: 1677830357227, bids: [{ price: '1.08123', volume: '0' }], asks: [] },
    ]);
  });

  it('de-duplicates K-lines by timestamp and sorts them oldest first (upstream issue #12)', async () => {
    const candle = (ts: string, close: string) => ({
      timestamp: ts,
      open_price: '10.100000',
      high_price: '12.000000',
      low_price: '9.000000',
      close_price: close,
      volume: '5',
      turnover: '55.5',
    });
    respond = (req) =>
      ok(req, {
        code: 'GOLD',
        kline_type: 10,
        kline_list: [
          candle('1711929600', '2.000000'),
          candle('1709251200', '1.000000'),
          candle('1704067200', '0.500000'),
          candle('1706745600', '0.750000'),
          candle('1709251200', '1.000000'),
          candle('1711929600', '2.000000'),
        ],
      });
    const candles = await client().kline({ code: 'GOLD', klineType: 10, limit: 4 });
    expect(candles.map((c) => c.time)).toEqual([1704067200000, 1706745600000, 1709251200000, 1711929600000]);
    expect(candles[0]).toEqual({
      time: 1704067200000,
      open: '10.100000',
      high: '12.000000',
      low: '9.000000',
      close: '0.500000',
      volume: '5',
      turnover: '55.5',
    });
    expect(candles.map((c) => c.close)).toEqual(['0.500000', '0.750000', '1.000000', '2.000000']);
  });

  it('batch-kline: chunks to batchKlineGroups per endpoint, keys results by code:klineType, dedupes and sorts', async () => {
    respond = (req) => {
      const items = req.doc.data.data_list as { code: string; kline_type: number }[];
      return ok(req, {
        kline_list: items.map((i) => ({
          code: i.code,
          kline_type: String(i.kline_type),
          kline_data: [
            { timestamp: 1677829260, open_price: '2', high_price: '2', low_price: '2', close_price: '2.10', volume: '1', turnover: '2' },
            { timestamp: '1677829200', open_price: '1', high_price: '1', low_price: '1', close_price: '1.00', volume: '1', turnover: '1' },
            { timestamp: 1677829260, open_price: '2', high_price: '2', low_price: '2', close_price: '2.10', volume: '1', turnover: '2' },
          ],
        })),
      });
    };
    const items = [
      { code: 'AAPL.US', klineType: 1, limit: 2 },
      { code: 'AAPL.US', klineType: 8, limit: 2 },
      { code: '700.HK', klineType: 1, limit: 2 },
      { code: 'GOLD', klineType: 1, limit: 2 },
      { code: 'AAPL.US', klineType: 1, limit: 2 }, // duplicate
    ];
    const result = await client({ plan: fastPlan({ batchKlineGroups: 2 }) }).batchKline(items);
    expect(requests.map((r) => [r.url.pathname, (r.doc.data.data_list as { code: string }[]).length])).toEqual(
      expect.arrayContaining([
        ['/quote-stock-b-api/batch-kline', 2],
        ['/quote-stock-b-api/batch-kline', 1],
        ['/quote-b-api/batch-kline', 1],
      ]),
    );
    expect(requests).toHaveLength(3);
    expect([...result.keys()].sort()).toEqual(['700.HK:1', 'AAPL.US:1', 'AAPL.US:8', 'GOLD:1']);
    for (const candles of result.values()) {
      expect(candles.map((c) => [c.time, c.close])).toEqual([
        [1677829200000, '1.00'],
        [1677829260000, '2.10'],
      ]);
    }
  });

  it('static info: stocks only (rejected before any request), strings kept, missing fields null', async () => {
    const c = client();
    const error = await failure(c.staticInfo(['AAPL.US', 'EURUSD', 'GOLD']));
    expect(error.message).toMatch(/only .*stocks.*EURUSD, GOLD/);
    expect(requests).toHaveLength(0);
    respond = (req) =>
      ok(req, {
        static_info_list: [
          {
            symbol: 'AAPL.US',
            name_en: 'Apple Inc.',
            name_cn: '苹果',
            board: 'NASDAQ',
            exchange: 'NASDAQ',
            currency: 'USD',
            lot_size: '1',
            total_shares: '15204137000',
            circulating_shares: 15204137000,
            eps: '6.080000',
            eps_ttm: '6.57',
            bps: '4.38',
            dividend_yield: '0.0044',
            hk_shares: '',
          },
        ],
      });
    const [info, ...rest] = await c.staticInfo(['AAPL.US']);
    expect(rest).toEqual([]);
    expect(info).toEqual({
      symbol: 'AAPL.US',
      nameEn: 'Apple Inc.',
      nameCn: '苹果',
      nameHk: null,
      board: 'NASDAQ',
      exchange: 'NASDAQ',
      currency: 'USD',
      lotSize: '1',
      totalShares: '15204137000',
      circulatingShares: '15204137000',
      hkShares: '',
      eps: '6.080000',
      epsTtm: '6.57',
      bps: '4.38',
      dividendYield: '0.0044',
    });
  });
});

describe('AllTickRestClient errors', () => {
  it('ret ≠ 200 → AllTickError with that ret and msg; no backoff for a bad code', async () => {
    respond = (req) => ({ body: { ret: 600, msg: 'code invalid', trace: req.doc.trace, data: {} } });
    const c = client();
    const backoff = vi.spyOn(c.limiter, 'backoff');
    const error = await failure(c.tradeTicks(['AAPL.US']));
    expect(error).toBeInstanceOf(AllTickError);
    expect(error).toMatchObject({ ret: 600, operation: '/trade-tick' });
    expect(error.message).toContain('code invalid');
    expect(backoff).not.toHaveBeenCalled();
  });

  it('HTTP 401 with the documented body → AllTickError 401 "token is required"', async () => {
    respond = () => ({ status: 401, body: { msg: 'token is required', ret: 401 } });
    const error = await failure(client().kline({ code: 'GOLD', klineType: 1, limit: 1 }));
    expect(error).toBeInstanceOf(AllTickError);
    expect(error).toMatchObject({ ret: 401, operation: '/kline' });
    expect(error.message).toContain('token is required');
  });

  it('HTTP 429 and 5xx → AllTickError with the status, and the limiter backs off exponentially', async () => {
    const plan = fastPlan({ perEndpointIntervalMs: 1_000 });
    let now = 0;
    const limiter = new RateLimiter({ limits: plan, now: () => now, maxWaitMs: 600_000 });
    const backoff = vi.spyOn(limiter, 'backoff');
    const c = client({ plan, limiter });

    respond = () => ({ status: 429, body: 'Too Many Requests' });
    const first = await failure(c.tradeTicks(['AAPL.US']));
    expect(first).toBeInstanceOf(AllTickError);
    expect(first).toMatchObject({ ret: 429 });
    expect(limiter.backoffRemainingMs()).toBe(1_000);

    now += 10_000;
    respond = () => ({ status: 500, body: { msg: `internal error for token ${TOKEN}` } });
    const second = await failure(c.depthTicks(['AAPL.US']));
    expect(second).toMatchObject({ ret: 500 });
    expect(limiter.backoffRemainingMs()).toBe(2_000);

    now += 10_000;
    respond = (req) => ({ body: { ret: 605, msg: 'too many requests', trace: req.doc.trace, data: {} } });
    await failure(c.tradeTicks(['AAPL.US']));
    expect(backoff.mock.calls.map((args) => args[0])).toEqual([1_000, 2_000, 4_000]);

    // a success resets the exponent
    now += 10_000;
    respond = defaultAnswer;
    await c.tradeTicks(['AAPL.US']);
    respond = () => ({ status: 503, body: '<html>unavailable</html>' });
    now += 10_000;
    const third = await failure(c.tradeTicks(['AAPL.US']));
    expect(third.message).toContain('HTTP 503');
    expect(backoff.mock.calls.at(-1)).toEqual([1_000]);
  });

  it('after a 429, the next call is held for the backoff pause, not sent (real clock)', async () => {
    const c = client();
    respond = () => ({ status: 429, body: '' });
    await failure(c.tradeTicks(['AAPL.US']));
    respond = defaultAnswer;
    const held = c.depthTicks(['EURUSD']);
    expect(c.limiter.stats().queued).toBe(1);
    await held;
    expect(requests).toHaveLength(2);
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(1_000);
  });

  it('invalid JSON or shape → clear error, and the client keeps working', async () => {
    const c = client();
    respond = () => ({ body: '<html>not json' });
    const notJson = await failure(c.tradeTicks(['AAPL.US']));
    expect(notJson.message).toMatch(/^invalid response from \/trade-tick: not JSON/);

    respond = (req) => ok(req, { tick_list: [{ code: 'AAPL.US', seq: 'x1', tick_time: '1751068801000', price: '1.0', volume: '1' }] });
    const badSeq = await failure(c.tradeTicks(['AAPL.US']));
    expect(badSeq.message).toMatch(/^invalid response from \/trade-tick: tick_list\.0\.seq/);

    respond = (req) => ok(req, { tick_list: [{ code: 'AAPL.US', seq: '1', tick_time: '1751068801000', price: 'NaN', volume: '1' }] });
    expect((await failure(c.tradeTicks(['AAPL.US']))).message).toMatch(/tick_list\.0\.price/);

    respond = () => ({ body: { msg: 'ok', data: {} } });
    expect((await failure(c.kline({ code: 'GOLD', klineType: 1, limit: 1 }))).message).toMatch(/^invalid response from \/kline: ret/);

    respond = (req) => ok(req, { kline_list: [{ timestamp: '1677829200', open_price: '1', high_price: '1', low_price: '1' }] });
    expect((await failure(c.kline({ code: 'GOLD', klineType: 1, limit: 1 }))).message).toMatch(/close_price/);

    respond = defaultAnswer;
    expect(await c.tradeTicks(['AAPL.US'])).toHaveLength(1);
  });

  it('never puts the token in an error message or a log line', async () => {
    const lines: string[] = [];
    const logger: RestLogger = {
      warn: (obj, msg) => lines.push(JSON.stringify(obj) + (msg ?? '')),
      debug: (obj, msg) => lines.push(JSON.stringify(obj) + (msg ?? '')),
    };
    // a fetch that fails with the URL in its message, as some fetch implementations do
    const leakyFetch: typeof fetch = async (input) => {
      throw new TypeError(`request to ${String(input)} failed`, { cause: new Error(`connect to ${String(input)}`) });
    };
    const leaky = await failure(client({ fetch: leakyFetch, logger }).tradeTicks(['AAPL.US']));
    expect(leaky.message).toContain('token=***');

    const c = client({ logger });
    respond = (req) => ({ body: { ret: 401, msg: `token invalid: ${TOKEN}`, trace: req.doc.trace, data: {} } });
    const echoed = await failure(c.tradeTicks(['AAPL.US']));
    expect(echoed).toMatchObject({ ret: 401 });
    respond = () => ({ body: `not json ${TOKEN}` });
    await failure(c.tradeTicks(['AAPL.US']));
    respond = defaultAnswer;
    await c.tradeTicks(['AAPL.US']);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).not.toContain(TOKEN);
  });

  it('times out a request that gets no answer', async () => {
    respond = () => ({ body: HANG });
    const error = await failure(client({ timeoutMs: 150 }).tradeTicks(['AAPL.US']));
    expect(error.message).toMatch(/\/quote-stock-b-api\/trade-tick request timed out after 150 ms/);
  });

  it('fails clearly when the host is unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const c = new AllTickRestClient({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, plan: fastPlan() });
    const error = await failure(c.tradeTicks(['AAPL.US']));
    expect(error.message).toMatch(/request failed: fetch failed.*ECONNREFUSED/);
  });

  it('does not follow a redirect (it would carry the token elsewhere)', async () => {
    const elsewhere: string[] = [];
    const other = createServer((req, res) => {
      elsewhere.push(req.url ?? '');
      res.end('{}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const target = `http://127.0.0.1:${(other.address() as AddressInfo).port}/steal`;
      server.once('request', (_req, res) => res.setHeader('location', target));
      respond = () => ({ status: 302, body: '' });
      const error = await failure(client().tradeTicks(['AAPL.US']));
      expect(error.message).toMatch(/redirect \(HTTP 302\)/);
      expect(elsewhere).toEqual([]);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
