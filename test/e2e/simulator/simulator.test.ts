/**
 * The simulator's WebSocket rules (alltick-protocol.md §2–§3, §7), over real sockets on port 0.
 */
import { describe, expect, it, vi } from 'vitest';
import { Cmd } from '../../../src/feed/alltick/protocol.js';
import { refusedUpgrade, type Frame, type RawClient } from '../../support/raw-client.js';
import { ackOf, codes, connect, start, urlOf } from '../../support/sim-fixture.js';
import { elapse, quietFor } from '../../support/time.js';

const pushOf = (cmd: number, code: string) => (f: Frame) => f.cmd_id === cmd && (f.data as { code?: string }).code === code;

/** Sends a request and resolves with its ack. */
async function ask(c: RawClient, cmd: number, data: unknown): Promise<Frame> {
  const from = c.frames.length;
  const r = c.request(cmd, data);
  return c.waitFor(ackOf(r), { from });
}

describe('token', () => {
  it('refuses a missing or unknown token with HTTP 401 at the upgrade', async () => {
    const sim = await start({ tokens: ['good'] });
    expect(await refusedUpgrade(urlOf(sim, 'stock'))).toEqual({ status: 401, body: '{"msg":"token is required","ret":401}' });
    expect(await refusedUpgrade(urlOf(sim, 'quote', ''))).toEqual({ status: 401, body: '{"msg":"token is required","ret":401}' });
    expect(await refusedUpgrade(urlOf(sim, 'quote', 'bad'))).toEqual({ status: 401, body: '{"msg":"token invalid","ret":401}' });
    await connect(sim, 'stock', 'good');
    expect(sim.record.upgrades.map((u) => [u.status, u.outcome])).toEqual([
      [401, 'token-missing'],
      [401, 'token-missing'],
      [401, 'token-invalid'],
      [101, 'accepted'],
    ]);
  });

  it('accepts any non-empty token when no list is set', async () => {
    const sim = await start();
    await connect(sim, 'quote', 'anything-at-all');
    expect(sim.sessions()).toMatchObject([{ endpoint: 'quote', token: 'anything-at-all' }]);
  });

  it("in 'frame-then-close' mode sends a ret 401 frame and closes with 4401", async () => {
    const sim = await start({ tokens: ['good'], badTokenMode: 'frame-then-close' });
    const c = await connect(sim, 'stock', 'bad');
    const closed = await c.closed;
    expect(c.frames).toEqual([{ ret: 401, msg: 'token invalid', cmd_id: 0, seq_id: 0, trace: '', data: {} }]);
    expect(closed).toEqual({ code: 4401, reason: 'token invalid' });
    expect(sim.allSessions()).toEqual([]);
  });
});

describe('envelope and acks', () => {
  it('acks with cmd + 1, ret 200 and the echoed seq_id and trace', async () => {
    const sim = await start();
    const c = await connect(sim);
    c.send({ cmd_id: 22000, seq_id: 4294967295, trace: 'hb-1', data: {} });
    const ack = await c.waitFor((f) => f.cmd_id === 22001);
    expect(ack).toEqual({ ret: 200, msg: 'ok', cmd_id: 22001, seq_id: 4294967295, trace: 'hb-1', data: {} });
    expect(await ask(c, Cmd.SubscribeTrade, codes('AAPL.US'))).toMatchObject({ ret: 200, cmd_id: 22005, data: {} });
    expect(await ask(c, Cmd.SubscribeDepth, codes('AAPL.US'))).toMatchObject({ ret: 200, cmd_id: 22003 });
    expect(await ask(c, Cmd.Cancel, { cancel_type: 0 })).toMatchObject({ ret: 200, cmd_id: 22007 });
  });

  it('tolerates heartbeat data [] and {symbol_list:null}', async () => {
    const sim = await start();
    const c = await connect(sim);
    expect(await ask(c, Cmd.Heartbeat, [])).toMatchObject({ ret: 200, cmd_id: 22001 });
    expect(await ask(c, Cmd.Heartbeat, { symbol_list: null })).toMatchObject({ ret: 200, cmd_id: 22001 });
  });

  it('answers an unreadable header with the documented ret 201 frame', async () => {
    const sim = await start();
    const c = await connect(sim);
    const bad = [
      'not json',
      '[1,2]',
      '{"seq_id":1,"trace":"x","data":{}}',
      '{"cmd_id":22000,"seq_id":1,"data":{}}',
      '{"cmd_id":22000,"seq_id":1,"trace":"x"}',
      '{"cmd_id":20002,"seq_id":1,"trace":"x","data":{}}',
      '{"cmd_id":22000,"seq_id":4294967296,"trace":"x","data":{}}',
      `{"cmd_id":22000,"seq_id":1,"trace":"${'x'.repeat(65)}","data":{}}`,
    ];
    for (const text of bad) c.send(text);
    await c.waitFor(() => c.frames.length === bad.length);
    for (const f of c.frames) expect(f).toEqual({ ret: 201, msg: 'request header param invalid', cmd_id: 0, seq_id: 0, trace: '', data: {} });
    expect(sim.record.frames.map((f) => f.text)).toEqual(bad);
  });

  it('answers bad data with ret 202 on cmd + 1, echoing seq_id and trace', async () => {
    const sim = await start();
    const c = await connect(sim);
    for (const [cmd, data] of [
      [Cmd.SubscribeTrade, { symbol_list: 'AAPL.US' }],
      [Cmd.SubscribeDepth, { symbol_list: [{ code: 'AAPL.US', depth_level: -1 }] }],
      [Cmd.SubscribeTrade, {}],
      [Cmd.Cancel, { cancel_type: 'all' }],
      [Cmd.Cancel, { cancel_type: 9 }],
    ] as const) {
      const from = c.frames.length;
      const r = c.request(cmd, data);
      expect(await c.waitFor(ackOf(r), { from })).toEqual({ ret: 202, msg: 'request data param invalid', cmd_id: cmd + 1, ...r, data: {} });
    }
  });
});

describe('subscriptions', () => {
  it('replaces the list of one type and never merges', async () => {
    const sim = await start();
    const c = await connect(sim);
    await ask(c, Cmd.SubscribeTrade, codes('AAPL.US', 'MSFT.US'));
    await ask(c, Cmd.SubscribeDepth, codes('700.HK'));
    await ask(c, Cmd.SubscribeTrade, codes('TSLA.US'));
    expect(sim.sessions()[0]).toMatchObject({ tradeList: ['TSLA.US'], depthList: [{ code: '700.HK', depth_level: 1 }] });
    const from = c.frames.length;
    expect(sim.pushTrade('AAPL.US').delivered).toBe(0);
    expect(sim.pushTrade('MSFT.US').delivered).toBe(0);
    expect(sim.pushTrade('TSLA.US').delivered).toBe(1);
    await c.waitFor(pushOf(Cmd.TradePush, 'TSLA.US'), { from });
    expect(c.frames.slice(from).map((f) => (f.data as { code: string }).code)).toEqual(['TSLA.US']);
  });

  it('keeps only the first codesPerSubscription codes of the plan, still acking 200', async () => {
    const sim = await start({ plan: 'free' });
    const c = await connect(sim);
    const list = ['AAPL.US', 'MSFT.US', 'NVDA.US', 'TSLA.US', 'GOOGL.US', 'AMZN.US', 'META.US'];
    expect(await ask(c, Cmd.SubscribeTrade, codes(...list))).toMatchObject({ ret: 200 });
    expect(sim.sessions()[0]!.tradeList).toEqual(list.slice(0, 5));
    expect(sim.pushTrade('AMZN.US').delivered).toBe(0);
  });

  it('clamps depth_level to the market maximum (default 1)', async () => {
    const sim = await start();
    const c = await connect(sim);
    await ask(c, Cmd.SubscribeDepth, {
      symbol_list: [
        { code: 'AAPL.US', depth_level: 10 },
        { code: '700.HK', depth_level: 10 },
        { code: '600519.SH', depth_level: 10 },
        { code: '9988.HK' },
        { code: '5.HK', depth_level: 0 },
        { code: '3690.HK', depth_level: 3 },
      ],
    });
    expect(sim.sessions()[0]!.depthList).toEqual([
      { code: 'AAPL.US', depth_level: 1 },
      { code: '700.HK', depth_level: 10 },
      { code: '600519.SH', depth_level: 5 },
      { code: '9988.HK', depth_level: 1 },
      { code: '5.HK', depth_level: 1 },
      { code: '3690.HK', depth_level: 3 },
    ]);
    for (const [code, levels] of [
      ['AAPL.US', 1],
      ['700.HK', 10],
      ['600519.SH', 5],
      ['3690.HK', 3],
    ] as const) {
      const from = c.frames.length;
      sim.pushDepth(code);
      const push = await c.waitFor(pushOf(Cmd.DepthPush, code), { from });
      const data = push.data as { bids: unknown[]; asks: unknown[] };
      expect([code, data.bids.length, data.asks.length]).toEqual([code, levels, levels]);
    }
  });

  it('cancels depth (1), trade (2), both (0), and takes 3 as a no-op', async () => {
    const sim = await start();
    const c = await connect(sim);
    const both = async () => {
      await ask(c, Cmd.SubscribeTrade, codes('AAPL.US'));
      await ask(c, Cmd.SubscribeDepth, codes('AAPL.US'));
    };
    const lists = () => [sim.sessions()[0]!.tradeList.length, sim.sessions()[0]!.depthList.length];
    await both();
    expect(await ask(c, Cmd.Cancel, { cancel_type: 3 })).toMatchObject({ ret: 200, cmd_id: 22007 });
    expect(lists()).toEqual([1, 1]);
    await ask(c, Cmd.Cancel, { cancel_type: 1 });
    expect(lists()).toEqual([1, 0]);
    await ask(c, Cmd.Cancel, { cancel_type: 2 });
    expect(lists()).toEqual([0, 0]);
    await both();
    await ask(c, Cmd.Cancel, { cancel_type: 0 });
    expect(lists()).toEqual([0, 0]);
    expect(sim.pushTrade('AAPL.US').delivered + sim.pushDepth('AAPL.US').delivered).toBe(0);
  });

  it('drops malformed and other-endpoint codes silently; refuses well-formed codes AllTick does not list with ret 600', async () => {
    const sim = await start();
    const stock = await connect(sim, 'stock');
    const quote = await connect(sim, 'quote', 'tok');
    expect(await ask(stock, Cmd.SubscribeTrade, codes('EURUSD', 'aapl.us', '00700.HK', 'AAPL.US', 'AAPL.US'))).toMatchObject({ ret: 200 });
    expect(await ask(quote, Cmd.SubscribeTrade, codes('AAPL.US', 'GOLD', 'Silver'))).toMatchObject({ ret: 200 });
    expect(sim.sessions({ endpoint: 'stock' })[0]!.tradeList).toEqual(['AAPL.US']);
    expect(sim.sessions({ endpoint: 'quote' })[0]!.tradeList).toEqual(['GOLD', 'Silver']);
    expect(await ask(stock, Cmd.SubscribeTrade, codes('AAPL.US', 'ZZZZ.US'))).toMatchObject({ ret: 600 });
    expect(await ask(quote, Cmd.SubscribeTrade, codes('GOLD', 'QQQQQQ'))).toMatchObject({ ret: 600 });
    expect(sim.sessions({ endpoint: 'stock' })[0]!.tradeList).toEqual(['AAPL.US']); // a refused list changes nothing
  });

  it('with strictCodes answers ret 600 and leaves the list unchanged', async () => {
    const sim = await start({ strictCodes: true });
    const c = await connect(sim);
    await ask(c, Cmd.SubscribeTrade, codes('AAPL.US'));
    expect(await ask(c, Cmd.SubscribeTrade, codes('MSFT.US', 'EURUSD'))).toMatchObject({ ret: 600, msg: 'code invalid', cmd_id: 22005 });
    expect(await ask(c, Cmd.SubscribeDepth, codes('00700.HK'))).toMatchObject({ ret: 600, cmd_id: 22003 });
    expect(sim.sessions()[0]).toMatchObject({ tradeList: ['AAPL.US'], depthList: [] });
  });
});

describe('request spacing', () => {
  it("answers a request sooner than spacingMs with ret 606 and closes (default '606-close')", async () => {
    const sim = await start({ spacingMs: 1000 });
    const c = await connect(sim);
    await ask(c, Cmd.Heartbeat, {});
    const r = c.request(Cmd.SubscribeTrade, codes('AAPL.US'));
    const ack = await c.waitFor(ackOf(r));
    expect(ack).toEqual({ ret: 606, msg: 'too many requests and connection will be closed', cmd_id: 22005, ...r, data: {} });
    expect(await c.closed).toEqual({ code: 4006, reason: 'too many requests' });
    expect(sim.record.spacingViolations).toBe(1);
    await vi.waitFor(() => expect(sim.allSessions()[0]).toMatchObject({ tradeList: [], closeCode: 4006 }));
  });

  it("in '605' mode answers ret 605, ignores the request and keeps the connection", async () => {
    const sim = await start({ spacingMs: 400, spacingViolation: '605' });
    const c = await connect(sim);
    const first = await ask(c, Cmd.SubscribeTrade, codes('AAPL.US'));
    expect(await ask(c, Cmd.SubscribeTrade, codes('MSFT.US'))).toMatchObject({ ret: 605, msg: 'too many requests', cmd_id: 22005 });
    expect(sim.sessions()[0]!.tradeList).toEqual(['AAPL.US']);
    await elapse(420 - (Date.now() - sim.record.frames[0]!.at), 'the spacing window (400 ms) of the first request ends');
    expect(await ask(c, Cmd.SubscribeTrade, codes('MSFT.US'))).toMatchObject({ ret: 200 });
    expect(sim.sessions()[0]!.tradeList).toEqual(['MSFT.US']);
    expect(sim.record.spacingViolations).toBe(1);
    expect(first.ret).toBe(200);
  });

  it('counts token-wide subscription spacing violations without enforcing them by default', async () => {
    const sim = await start({ plan: 'premium', tokenSpacingMs: 3000 });
    const a = await connect(sim, 'stock', 'T');
    const b = await connect(sim, 'stock', 'T');
    const other = await connect(sim, 'stock', 'U');
    expect(await ask(a, Cmd.SubscribeTrade, codes('AAPL.US'))).toMatchObject({ ret: 200 });
    expect(await ask(other, Cmd.SubscribeTrade, codes('AAPL.US'))).toMatchObject({ ret: 200 });
    expect(sim.record.tokenSpacingViolations).toBe(0);
    expect(await ask(b, Cmd.SubscribeDepth, codes('AAPL.US'))).toMatchObject({ ret: 200 });
    expect(await ask(b, Cmd.Heartbeat, {})).toMatchObject({ ret: 200 }); // heartbeats are not subscription requests
    expect(sim.record.tokenSpacingViolations).toBe(1);
    expect(sim.sessions({ token: 'T' }).map((s) => s.depthList.length)).toEqual([0, 1]);
  });

  it('enforces token-wide spacing when asked to', async () => {
    const sim = await start({ plan: 'premium', tokenSpacingMs: 3000, enforceTokenSpacing: true, spacingViolation: '605' });
    const a = await connect(sim, 'stock', 'T');
    const b = await connect(sim, 'quote', 'T');
    await ask(a, Cmd.SubscribeTrade, codes('AAPL.US'));
    expect(await ask(b, Cmd.SubscribeTrade, codes('GOLD'))).toMatchObject({ ret: 605 });
    expect(sim.sessions({ endpoint: 'quote' })[0]!.tradeList).toEqual([]);
    expect(sim.record.tokenSpacingViolations).toBe(1);
  });
});

describe('heartbeat timeout', () => {
  it('closes a connection without heartbeats with 4000, and keeps one that sends them', async () => {
    const sim = await start({ heartbeatTimeoutMs: 400 });
    const silent = await connect(sim);
    const beating = await connect(sim, 'quote');
    const timer = setInterval(() => beating.request(Cmd.Heartbeat, {}), 80);
    try {
      expect(await silent.closed).toEqual({ code: 4000, reason: 'heartbeat timeout' });
      const silentInfo = await vi.waitFor(() => {
        const info = sim.allSessions({ endpoint: 'stock' })[0]!;
        expect(info.closedAt).toBeDefined();
        return info;
      });
      expect(silentInfo.closedAt! - silentInfo.openedAt).toBeGreaterThanOrEqual(390);
      await quietFor(200, 'the silent session is not replaced');
      expect(sim.sessions().map((s) => s.endpoint)).toEqual(['quote']);
    } finally {
      clearInterval(timer);
    }
  });

  it('is not reset by requests other than heartbeats', async () => {
    const sim = await start({ heartbeatTimeoutMs: 250 });
    const c = await connect(sim);
    const timer = setInterval(() => c.request(Cmd.SubscribeTrade, codes('AAPL.US')), 60);
    try {
      expect((await c.closed).code).toBe(4000);
    } finally {
      clearInterval(timer);
    }
  });
});

describe('connection cap', () => {
  it('accepts one connection too many, sends ret 606 and closes it with 4029 (per token, per endpoint)', async () => {
    const sim = await start({ plan: 'basic' });
    await connect(sim, 'stock', 'T');
    await connect(sim, 'quote', 'T');
    await connect(sim, 'stock', 'U');
    const extra = await connect(sim, 'stock', 'T');
    expect(await extra.closed).toEqual({ code: 4029, reason: 'connection limit exceeded' });
    expect(extra.frames).toEqual([{ ret: 606, msg: 'too many requests and connection will be closed', cmd_id: 0, seq_id: 0, trace: '', data: {} }]);
    expect(sim.sessions()).toHaveLength(3);
    expect(sim.record.upgrades.at(-1)).toMatchObject({ status: 101, outcome: 'connection-limit', endpoint: 'stock' });
  });

  it('frees the slot when a connection closes, and can refuse with HTTP 429 instead', async () => {
    const sim = await start({ plan: 'basic', connectionLimitMode: 'reject-429' });
    const first = await connect(sim, 'quote');
    expect(await refusedUpgrade(urlOf(sim, 'quote', 'tok'))).toEqual({ status: 429, body: '{"msg":"rate limit","ret":429}' });
    first.close();
    await sim.waitFor('close');
    await connect(sim, 'quote');
    expect(sim.sessions()).toHaveLength(1);
  });

  it('follows the plan: premium allows 3', async () => {
    const sim = await start({ plan: 'premium' });
    for (let i = 0; i < 3; i++) await connect(sim);
    expect((await (await connect(sim)).closed).code).toBe(4029);
  });
});

describe('pushes', () => {
  it('ticks subscribed symbols with string decimals, 13-digit tick_time, increasing seq and proper trade_direction', async () => {
    const sim = await start({ ticksPerSecond: 200 });
    const stock = await connect(sim, 'stock');
    const quote = await connect(sim, 'quote');
    await ask(stock, Cmd.SubscribeTrade, codes('AAPL.US', '700.HK'));
    await ask(stock, Cmd.SubscribeDepth, { symbol_list: [{ code: '700.HK', depth_level: 5 }] });
    await ask(quote, Cmd.SubscribeTrade, codes('EURUSD', 'GOLD', 'BTCUSDT'));
    await ask(quote, Cmd.SubscribeDepth, codes('EURUSD', 'BTCUSDT'));
    const pushes = (c: RawClient) => c.frames.filter((f) => f.cmd_id === Cmd.TradePush || f.cmd_id === Cmd.DepthPush);
    await stock.waitFor(() => pushes(stock).length >= 40, { timeoutMs: 5000 });
    await quote.waitFor(() => pushes(quote).length >= 60, { timeoutMs: 5000 });
    const decimal = /^\d+(\.\d+)?$/;
    const lastSeq = new Map<string, bigint>();
    for (const f of [...pushes(stock), ...pushes(quote)]) {
      expect(Object.keys(f).sort()).toEqual(['cmd_id', 'data']);
      const d = f.data as Record<string, unknown>;
      expect(d.seq).toMatch(/^\d{16}$/);
      expect(d.tick_time).toMatch(/^\d{13}$/);
      expect(Math.abs(Number(d.tick_time) - Date.now())).toBeLessThan(10_000);
      const seq = BigInt(d.seq as string);
      expect(seq > (lastSeq.get(d.code as string) ?? 0n)).toBe(true);
      lastSeq.set(d.code as string, seq);
      if (f.cmd_id === Cmd.TradePush) {
        expect(Object.keys(d).sort()).toEqual(['code', 'price', 'seq', 'tick_time', 'trade_direction', 'turnover', 'volume']);
        for (const k of ['price', 'volume', 'turnover']) expect(d[k]).toMatch(decimal);
        const fx = d.code === 'EURUSD' || d.code === 'GOLD';
        if (fx) expect(d.trade_direction).toBe(0);
        else expect([0, 1, 2]).toContain(d.trade_direction);
        expect(d.price).toMatch({ 'AAPL.US': /\.\d{2}$/, '700.HK': /\.\d{3}$/, EURUSD: /\.\d{5}$/, GOLD: /\.\d{2}$/, BTCUSDT: /\.\d{2}$/ }[d.code as string]!);
      } else {
        const bids = d.bids as { price: string; volume: string }[];
        const asks = d.asks as { price: string; volume: string }[];
        expect(bids.length).toBe({ '700.HK': 5, EURUSD: 1, BTCUSDT: 1 }[d.code as string]);
        for (const l of [...bids, ...asks]) {
          expect(l.price).toMatch(decimal);
          expect(l.volume).toMatch(decimal);
          if (d.code === 'EURUSD') expect(l.volume).toBe('0');
          else expect(Number(l.volume)).toBeGreaterThan(0);
        }
        expect(Number(bids[0]!.price)).toBeLessThan(Number(asks[0]!.price));
      }
    }
    const directions = new Set(
      pushes(stock)
        .filter((f) => f.cmd_id === Cmd.TradePush)
        .map((f) => (f.data as { trade_direction: number }).trade_direction),
    );
    expect(directions.has(1) && directions.has(2)).toBe(true);
  });

  it('emits seq and tick_time as integers with numericSeq', async () => {
    const sim = await start({ numericSeq: true });
    const c = await connect(sim, 'quote');
    await ask(c, Cmd.SubscribeTrade, codes('ETHUSDT'));
    await ask(c, Cmd.SubscribeDepth, codes('ETHUSDT'));
    sim.pushTrade('ETHUSDT');
    sim.pushDepth('ETHUSDT');
    for (const cmd of [Cmd.TradePush, Cmd.DepthPush]) {
      const d = (await c.waitFor(pushOf(cmd, 'ETHUSDT'))).data as { seq: unknown; tick_time: unknown };
      expect(Number.isSafeInteger(d.seq)).toBe(true);
      expect(String(d.tick_time)).toMatch(/^\d{13}$/);
    }
  });

  it('generates nothing while nobody is subscribed, and stops on pause', async () => {
    const sim = await start({ ticksPerSecond: 200 });
    const c = await connect(sim);
    await quietFor(100, 'no ticks while nobody is subscribed');
    expect(c.frames).toEqual([]);
    await ask(c, Cmd.SubscribeTrade, codes('AAPL.US'));
    await c.waitFor((f) => f.cmd_id === Cmd.TradePush);
    sim.pause();
    await ask(c, Cmd.Heartbeat, {}); // its ack comes after every push sent before the pause
    const count = c.frames.length;
    await quietFor(150, 'no ticks while paused');
    expect(c.frames.length).toBe(count);
    sim.resume();
    await c.waitFor((f) => f.cmd_id === Cmd.TradePush, { from: count });
  });
});
