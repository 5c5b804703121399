/**
 * The simulator's REST API (alltick-protocol.md §4): envelopes, shapes, k-line consistency,
 * token errors, rate limits and forced failures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../../src/simulator/server.js';
import type { Candle } from '../../../src/simulator/kline.js';
import { clearOfMinuteTurn } from '../../support/time.js';

let sim: Simulator;
const extra: Simulator[] = [];

beforeAll(async () => {
  sim = await createSimulator({ ticksPerSecond: 0, seed: 3, tokens: ['tok'] });
});
afterAll(async () => {
  await Promise.all([sim, ...extra].map((s) => s.close()));
});

async function startExtra(options: SimulatorOptions): Promise<Simulator> {
  const s = await createSimulator({ ticksPerSecond: 0, seed: 3, ...options });
  extra.push(s);
  return s;
}

interface Envelope<T = Record<string, unknown>> {
  ret: number;
  msg: string;
  trace: string;
  data: T;
}

type Base = 'quote-stock-b-api' | 'quote-b-api';

async function get(base: Base, method: string, data: unknown, opts: { token?: string | null; on?: Simulator; trace?: string } = {}) {
  const s = opts.on ?? sim;
  const token = opts.token === undefined ? 'tok' : opts.token;
  const query = encodeURIComponent(JSON.stringify({ trace: opts.trace ?? 'trace-1', data }));
  const res = await fetch(`${s.httpUrl}/${base}/${method}?${token === null ? '' : `token=${token}&`}query=${query}`);
  return { status: res.status, body: (await res.json()) as Envelope<any> };
}

async function post(base: Base, body: string, token = 'tok', on = sim) {
  const res = await fetch(`${on.httpUrl}/${base}/batch-kline?token=${token}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: (await res.json()) as Envelope<any> };
}

const codes = (...list: string[]) => ({ symbol_list: list.map((code) => ({ code })) });
const DECIMAL = /^\d+(\.\d+)?$/;

function expectConsistent(candles: Candle[]): void {
  let prev = 0;
  for (const c of candles) {
    expect(Object.keys(c).sort()).toEqual(['close_price', 'high_price', 'low_price', 'open_price', 'timestamp', 'turnover', 'volume']);
    for (const v of Object.values(c)) expect(v).toMatch(DECIMAL);
    expect(c.timestamp).toMatch(/^\d{10}$/);
    const [o, h, l, cl] = [c.open_price, c.high_price, c.low_price, c.close_price].map(Number) as [number, number, number, number];
    expect(l).toBeLessThanOrEqual(Math.min(o, cl));
    expect(h).toBeGreaterThanOrEqual(Math.max(o, cl));
    expect(l).toBeGreaterThan(0);
    expect(Number(c.timestamp)).toBeGreaterThan(prev);
    prev = Number(c.timestamp);
  }
}

describe('auth and envelope', () => {
  it('answers a missing token with HTTP 401 "token is required" and an unknown one with "token invalid"', async () => {
    expect(await get('quote-b-api', 'trade-tick', codes('GOLD'), { token: null })).toEqual({ status: 401, body: { msg: 'token is required', ret: 401 } });
    expect(await get('quote-b-api', 'trade-tick', codes('GOLD'), { token: 'nope' })).toEqual({ status: 401, body: { msg: 'token invalid', ret: 401 } });
  });

  it('answers an unreadable query with ret 402, a bad document with 400, and 404 for unknown paths', async () => {
    const noQuery = await fetch(`${sim.httpUrl}/quote-b-api/trade-tick?token=tok`);
    expect(await noQuery.json()).toEqual({ ret: 402, msg: 'query invalid', trace: '', data: {} });
    const junk = await fetch(`${sim.httpUrl}/quote-b-api/trade-tick?token=tok&query=%7Bnot`);
    expect(((await junk.json()) as Envelope).ret).toBe(402);
    const noTrace = await fetch(`${sim.httpUrl}/quote-b-api/trade-tick?token=tok&query=${encodeURIComponent('{"data":{}}')}`);
    expect(await noTrace.json()).toEqual({ ret: 400, msg: 'request header param invalid', trace: '', data: {} });
    expect((await fetch(`${sim.httpUrl}/quote-b-api/static_info?token=tok`)).status).toBe(404);
    expect((await fetch(`${sim.httpUrl}/nope?token=tok`)).status).toBe(404);
    expect((await fetch(`${sim.httpUrl}/quote-b-api/kline?token=tok`, { method: 'POST' })).status).toBe(405);
  });

  it('rejects codes of the other endpoint or malformed ones with ret 600, echoing trace', async () => {
    expect((await get('quote-b-api', 'trade-tick', codes('GOLD', 'AAPL.US'), { trace: 'tr' })).body).toEqual({
      ret: 600,
      msg: 'code invalid',
      trace: 'tr',
      data: {},
    });
    expect((await get('quote-stock-b-api', 'depth-tick', codes('00700.HK'))).body.ret).toBe(600);
    expect((await get('quote-stock-b-api', 'depth-tick', { symbol_list: 'x' })).body).toMatchObject({ ret: 400, msg: 'request data param invalid' });
  });
});

describe('ticks', () => {
  it('/trade-tick returns the current trade of each code, all numerics strings', async () => {
    const { status, body } = await get('quote-stock-b-api', 'trade-tick', codes('AAPL.US', '700.HK', '600519.SH'), { trace: 'abc' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ ret: 200, msg: 'ok', trace: 'abc' });
    expect(body.data.tick_list.map((t: { code: string }) => t.code)).toEqual(['AAPL.US', '700.HK', '600519.SH']);
    for (const t of body.data.tick_list) {
      expect(Object.keys(t).sort()).toEqual(['code', 'price', 'seq', 'tick_time', 'trade_direction', 'turnover', 'volume']);
      for (const k of ['price', 'volume', 'turnover', 'seq', 'tick_time']) expect(t[k]).toMatch(DECIMAL);
      expect(typeof t.trade_direction).toBe('number');
    }
    // without ticking, the state stays the same between calls
    const again = await get('quote-stock-b-api', 'trade-tick', codes('AAPL.US'));
    expect(again.body.data.tick_list[0]).toEqual(body.data.tick_list[0]);
  });

  it('/depth-tick returns the book with the market maximum of levels', async () => {
    const { body } = await get('quote-b-api', 'depth-tick', codes('EURUSD', 'BTCUSDT'));
    const [fx, btc] = body.data.tick_list;
    expect([fx.bids.length, fx.asks.length, btc.bids.length, btc.asks.length]).toEqual([1, 1, 5, 5]);
    expect(fx.bids[0].volume).toBe('0');
    expect(fx.bids[0].price).toMatch(/^\d\.\d{5}$/);
    const hk = (await get('quote-stock-b-api', 'depth-tick', codes('700.HK'))).body.data.tick_list[0];
    expect(hk.bids).toHaveLength(10);
    const prices = hk.bids.map((l: { price: string }) => Number(l.price));
    expect([...prices].sort((a, b) => b - a)).toEqual(prices);
    expect(Number(hk.asks[0].price)).toBeGreaterThan(prices[0]);
  });

  it('/static_info returns the §4.2 fields as strings', async () => {
    const { body } = await get('quote-stock-b-api', 'static_info', codes('700.HK', 'AAPL.US'));
    const [hk, us] = body.data.static_info_list;
    const fields = [
      'board',
      'bps',
      'circulating_shares',
      'currency',
      'dividend_yield',
      'eps',
      'eps_ttm',
      'exchange',
      'hk_shares',
      'lot_size',
      'name_cn',
      'name_en',
      'name_hk',
      'symbol',
      'total_shares',
    ];
    for (const info of [hk, us]) {
      expect(Object.keys(info).sort()).toEqual(fields);
      for (const v of Object.values(info)) expect(typeof v).toBe('string');
    }
    expect(hk).toMatchObject({ symbol: '700.HK', currency: 'HKD', lot_size: '100', exchange: 'HKEX' });
    expect(us).toMatchObject({ symbol: 'AAPL.US', currency: 'USD', hk_shares: '0' });
  });
});

describe('k-lines', () => {
  it('/kline returns consistent candles ending at the live price', async () => {
    await clearOfMinuteTurn(2000, 'the newest bar is the current minute when the answer is read');
    const { body } = await get('quote-b-api', 'kline', { code: 'GOLD', kline_type: 1, kline_timestamp_end: 0, query_kline_num: 50, adjust_type: 0 });
    expect(body).toMatchObject({ ret: 200, data: { code: 'GOLD', kline_type: 1 } });
    const list: Candle[] = body.data.kline_list;
    expect(list).toHaveLength(50);
    expectConsistent(list);
    const now = Date.now() / 1000;
    expect(Number(list.at(-1)!.timestamp)).toBe(Math.floor(now / 60) * 60);
    expect(Number(list[1]!.timestamp) - Number(list[0]!.timestamp)).toBe(60);
    const depth = (await get('quote-b-api', 'depth-tick', codes('GOLD'))).body.data.tick_list[0];
    const close = Number(list.at(-1)!.close_price);
    expect(close).toBeGreaterThanOrEqual(Number(depth.bids[0].price));
    expect(close).toBeLessThanOrEqual(Number(depth.asks[0].price));
  });

  it('every kline_type works, with aligned timestamps; stocks refuse 6 and 7', async () => {
    for (let type = 1; type <= 10; type++) {
      const { body } = await get('quote-b-api', 'kline', { code: 'BTCUSDT', kline_type: type, kline_timestamp_end: 0, query_kline_num: 5, adjust_type: 0 });
      expect(body.ret).toBe(200);
      expectConsistent(body.data.kline_list);
      const ts = body.data.kline_list.map((c: Candle) => Number(c.timestamp));
      if (type === 8) expect(ts.every((t: number) => t % 86_400 === 0)).toBe(true);
      if (type === 9) expect(ts.every((t: number) => new Date(t * 1000).getUTCDay() === 1)).toBe(true);
      if (type === 10) expect(ts.every((t: number) => new Date(t * 1000).getUTCDate() === 1)).toBe(true);
    }
    for (const type of [6, 7]) {
      const { body } = await get('quote-stock-b-api', 'kline', {
        code: 'AAPL.US',
        kline_type: type,
        kline_timestamp_end: 0,
        query_kline_num: 5,
        adjust_type: 0,
      });
      expect(body).toEqual({ ret: 400, msg: 'request data param invalid', trace: 'trace-1', data: {} });
    }
    expect((await get('quote-stock-b-api', 'kline', { code: 'AAPL.US', kline_type: 11, query_kline_num: 5 })).body.ret).toBe(400);
  });

  it('caps query_kline_num at 500 and honours kline_timestamp_end (seconds or ms)', async () => {
    const capped = await get('quote-stock-b-api', 'kline', { code: '700.HK', kline_type: 1, kline_timestamp_end: 0, query_kline_num: 900, adjust_type: 0 });
    expect(capped.body.data.kline_list).toHaveLength(500);
    expectConsistent(capped.body.data.kline_list);
    const end = 1_700_000_000; // 2023-11-14T22:13:20Z
    for (const given of [end, end * 1000]) {
      const { body } = await get('quote-b-api', 'kline', { code: 'EURUSD', kline_type: 5, kline_timestamp_end: given, query_kline_num: 3, adjust_type: 0 });
      expect(body.data.kline_list.map((c: Candle) => Number(c.timestamp))).toEqual([end - 3600 * 2, end - 3600, end].map((t) => Math.floor(t / 3600) * 3600));
      expectConsistent(body.data.kline_list);
    }
    // history is deterministic: the same candles again
    const a = await get('quote-b-api', 'kline', { code: 'EURUSD', kline_type: 8, kline_timestamp_end: end, query_kline_num: 10, adjust_type: 0 });
    const b = await get('quote-b-api', 'kline', { code: 'EURUSD', kline_type: 8, kline_timestamp_end: end, query_kline_num: 10, adjust_type: 0 });
    expect(a.body.data.kline_list).toEqual(b.body.data.kline_list);
  });

  it('/batch-kline (POST) returns at most 2 candles per item, and one bad item fails the batch', async () => {
    const item = (code: string, kline_type: number) => ({ code, kline_type, kline_timestamp_end: 0, query_kline_num: 10, adjust_type: 0 });
    const { status, body } = await post('quote-b-api', JSON.stringify({ trace: 'b1', data: { data_list: [item('GOLD', 1), item('EURUSD', 8)] } }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ ret: 200, msg: 'ok', trace: 'b1' });
    expect(body.data.kline_list.map((k: { code: string; kline_type: number }) => [k.code, k.kline_type])).toEqual([
      ['GOLD', 1],
      ['EURUSD', 8],
    ]);
    for (const k of body.data.kline_list) {
      expect(k.kline_data).toHaveLength(2);
      expectConsistent(k.kline_data);
    }
    expect((await post('quote-b-api', JSON.stringify({ trace: 'b2', data: { data_list: [item('GOLD', 1), item('AAPL.US', 1)] } }))).body).toEqual({
      ret: 600,
      msg: 'code invalid',
      trace: 'b2',
      data: {},
    });
    expect((await post('quote-stock-b-api', '')).body).toMatchObject({ ret: 601, msg: 'body empty' });
    expect((await post('quote-stock-b-api', JSON.stringify({ trace: 'x', data: { data_list: [] } }))).body.ret).toBe(400);
    expect((await post('quote-stock-b-api', '{}', 'bad')).status).toBe(401);
  });
});

describe('rate limits and forced failures', () => {
  it('failNextRest answers the next N calls with the given status', async () => {
    sim.failNextRest(2, 500);
    expect((await get('quote-b-api', 'trade-tick', codes('GOLD'))).status).toBe(500);
    const second = await get('quote-b-api', 'trade-tick', codes('GOLD'));
    expect(second).toEqual({ status: 500, body: { msg: 'internal server error', ret: 500 } });
    expect((await get('quote-b-api', 'trade-tick', codes('GOLD'))).status).toBe(200);
    sim.failNextRest(1, 429);
    expect(await get('quote-b-api', 'trade-tick', codes('GOLD'))).toEqual({ status: 429, body: { msg: 'rate limit', ret: 429 } });
    expect(sim.record.restCalls.slice(-4).map((c) => c.status)).toEqual([500, 500, 200, 429]);
  });

  it('restRateLimit enforces the per-method gap, the per-call code count and batch groups of the plan', async () => {
    const free = await startExtra({ plan: 'free', restRateLimit: true });
    const on = { on: free, token: 't' };
    expect((await get('quote-b-api', 'trade-tick', codes('GOLD'), on)).status).toBe(200);
    expect(await get('quote-b-api', 'trade-tick', codes('GOLD'), on)).toEqual({ status: 429, body: { msg: 'rate limit', ret: 429 } });
    // another method has its own gap; another token its own budget
    expect((await get('quote-b-api', 'depth-tick', codes('GOLD', 'Silver', 'EURUSD', 'USDJPY', 'BTCUSDT', 'ETHUSDT'), on)).body.ret).toBe(603);
    expect((await get('quote-b-api', 'trade-tick', codes('GOLD'), { on: free, token: 'other' })).status).toBe(200);
    const unlimited = await startExtra({ plan: 'free' });
    for (let i = 0; i < 3; i++) expect((await get('quote-b-api', 'trade-tick', codes('GOLD'), { on: unlimited, token: 't' })).status).toBe(200);
  });
});
