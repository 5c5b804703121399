/**
 * The simulator's test hooks: kill, refuse, garbage frames, ack modes, failCode, forced pushes,
 * events, and the record of what a client did.
 */
import { describe, expect, it, vi } from 'vitest';
import { Cmd } from '../../../src/feed/alltick/protocol.js';
import { refusedUpgrade } from '../../support/raw-client.js';
import { ackOf, codes, connect, start, urlOf } from '../../support/sim-fixture.js';
import { elapse, quietFor } from '../../support/time.js';

describe('connection hooks', () => {
  it('killConnections drops matching sockets abruptly (1006) and keeps them in allSessions', async () => {
    const sim = await start();
    const stock = await connect(sim, 'stock');
    const quote = await connect(sim, 'quote');
    expect(sim.killConnections({ endpoint: 'stock' })).toBe(1);
    expect((await stock.closed).code).toBe(1006);
    await vi.waitFor(() => expect(sim.sessions().map((s) => s.endpoint)).toEqual(['quote']));
    expect(sim.allSessions({ endpoint: 'stock' })[0]!.closedAt).toBeGreaterThanOrEqual(sim.allSessions()[0]!.openedAt);
    expect(sim.killConnections()).toBe(1);
    expect((await quote.closed).code).toBe(1006);
  });

  it('refuseConnections answers upgrades with an HTTP status for a while', async () => {
    const sim = await start();
    sim.refuseConnections(10_000); // the next call replaces the window
    expect(await refusedUpgrade(urlOf(sim, 'stock'))).toEqual({ status: 429, body: '{"msg":"rate limit","ret":429}' });
    sim.refuseConnections(10_000, 503);
    expect((await refusedUpgrade(urlOf(sim, 'quote'))).status).toBe(503);
    sim.refuseConnections(0);
    await connect(sim, 'quote');
    sim.refuseConnections(100);
    await elapse(120, 'the refusal window (100 ms) ends');
    await connect(sim, 'stock');
    expect(sim.record.upgrades.map((u) => [u.endpoint, u.status, u.outcome])).toEqual([
      ['stock', 429, 'refused'],
      ['quote', 503, 'refused'],
      ['quote', 101, 'accepted'],
      ['stock', 101, 'accepted'],
    ]);
  });

  it('sendRaw delivers garbage frames to matching connections', async () => {
    const sim = await start();
    const stock = await connect(sim, 'stock');
    const quote = await connect(sim, 'quote');
    expect(sim.sendRaw('}{ not json', { endpoint: 'quote' })).toBe(1);
    expect(sim.sendRaw('{"cmd_id":22998,"data":{"code":"AAPL.US","price":1.5}}')).toBe(2);
    await quote.waitFor((f) => f.cmd_id === 22998);
    await stock.waitFor((f) => f.cmd_id === 22998);
    expect(quote.frames[0]).toEqual({ raw: '}{ not json' });
    expect(stock.frames).toHaveLength(1);
  });

  it('emits connection, frame and close events, and waitFor resolves on them', async () => {
    const sim = await start();
    const seen: string[] = [];
    sim.events.on('connection', (s) => seen.push(`open ${s.endpoint}`));
    sim.events.on('frame', (f) => seen.push(`frame ${f.cmd_id}`));
    sim.events.on('close', (s) => seen.push(`close ${s.endpoint} ${s.closeCode}`));
    const opened = sim.waitFor('connection');
    const c = await connect(sim, 'quote');
    expect((await opened).endpoint).toBe('quote');
    const frame = sim.waitFor('frame', (f) => f.cmd_id === Cmd.SubscribeTrade);
    c.request(Cmd.SubscribeTrade, codes('GOLD'));
    expect((await frame).endpoint).toBe('quote');
    const closed = sim.waitFor('close');
    c.close();
    expect((await closed).tradeList).toEqual(['GOLD']);
    expect(seen).toEqual(['open quote', 'frame 22004', 'close quote 1006']);
    await expect(sim.waitFor('connection', undefined, 50)).rejects.toThrow(/timed out/);
  });
});

describe('ack hooks', () => {
  it("'withhold' applies requests without replying; 'normal' restores replies", async () => {
    const sim = await start();
    const c = await connect(sim);
    sim.setAckMode('withhold');
    c.request(Cmd.SubscribeTrade, codes('AAPL.US'));
    c.request(Cmd.Heartbeat, {});
    await vi.waitFor(() => expect(sim.sessions()[0]!.tradeList).toEqual(['AAPL.US']));
    await quietFor(50, 'acks are withheld: no frame comes');
    expect(c.frames).toEqual([]);
    sim.setAckMode('normal');
    const r = c.request(Cmd.Heartbeat, {});
    await c.waitFor(ackOf(r));
    expect(c.frames).toHaveLength(1);
  });

  it('{delayMs} sends acks late', async () => {
    const sim = await start();
    const c = await connect(sim);
    sim.setAckMode({ delayMs: 150 });
    const sentAt = Date.now();
    const r = c.request(Cmd.Heartbeat, {});
    await c.waitFor(ackOf(r));
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(140);
  });

  it('failCode answers a subscribe holding the code with that ret and changes nothing', async () => {
    const sim = await start();
    const c = await connect(sim);
    sim.failCode('TSLA.US', 604);
    let r = c.request(Cmd.SubscribeTrade, codes('AAPL.US'));
    await c.waitFor(ackOf(r));
    r = c.request(Cmd.SubscribeTrade, codes('MSFT.US', 'TSLA.US'));
    expect(await c.waitFor(ackOf(r))).toMatchObject({ ret: 604, msg: 'code unauthorized', cmd_id: 22005 });
    r = c.request(Cmd.SubscribeDepth, codes('TSLA.US'));
    expect(await c.waitFor(ackOf(r))).toMatchObject({ ret: 604, cmd_id: 22003 });
    expect(sim.sessions()[0]).toMatchObject({ tradeList: ['AAPL.US'], depthList: [] });
    sim.failCode('TSLA.US', null);
    r = c.request(Cmd.SubscribeTrade, codes('TSLA.US'));
    expect(await c.waitFor(ackOf(r))).toMatchObject({ ret: 200 });
  });
});

describe('forced pushes', () => {
  it('pushTrade/pushDepth send the given fields now and report deliveries', async () => {
    const sim = await start();
    const c = await connect(sim, 'quote');
    let r = c.request(Cmd.SubscribeTrade, codes('BTCUSDT'));
    await c.waitFor(ackOf(r));
    r = c.request(Cmd.SubscribeDepth, { symbol_list: [{ code: 'BTCUSDT', depth_level: 2 }] });
    await c.waitFor(ackOf(r));
    const trade = sim.pushTrade('BTCUSDT', { price: '100000.00', seq: '123', trade_direction: 1 });
    expect(trade.delivered).toBe(1);
    const t = await c.waitFor((f) => f.cmd_id === Cmd.TradePush);
    expect(t).toEqual({ cmd_id: 22998, data: trade.data });
    expect(t.data).toMatchObject({ code: 'BTCUSDT', price: '100000.00', seq: '123', trade_direction: 1 });
    const depth = sim.pushDepth('BTCUSDT', { bids: [], asks: [{ price: '1.00', volume: '2' }] });
    const d = await c.waitFor((f) => f.cmd_id === Cmd.DepthPush);
    expect(d.data).toMatchObject({ code: 'BTCUSDT', bids: [], asks: [{ price: '1.00', volume: '2' }], seq: depth.data.seq });
    expect(sim.pushTrade('ETHUSDT').delivered).toBe(0);
    expect(() => sim.pushTrade('not a code')).toThrow(/not a valid/);
  });

  it('a forced push becomes the state REST reports', async () => {
    const sim = await start();
    sim.pushTrade('GOLD', { price: '2700.01' });
    const query = encodeURIComponent(JSON.stringify({ trace: 'x', data: codes('GOLD') }));
    const res = await fetch(`${sim.httpUrl}/quote-b-api/trade-tick?token=t&query=${query}`);
    expect(((await res.json()) as { data: { tick_list: { price: string }[] } }).data.tick_list[0]!.price).toBe('2700.01');
  });
});

describe('record', () => {
  it('keeps every client frame with time and cmd_id, and connection times per endpoint', async () => {
    const sim = await start();
    const before = Date.now();
    const c = await connect(sim, 'stock');
    c.send('garbage');
    const r = c.request(Cmd.Heartbeat, {});
    await c.waitFor(ackOf(r));
    expect(sim.record.frames.map((f) => [f.sessionId, f.endpoint, f.cmd_id, f.text])).toEqual([
      [1, 'stock', undefined, 'garbage'],
      [1, 'stock', 22000, JSON.stringify({ cmd_id: 22000, seq_id: r.seq_id, trace: r.trace, data: {} })],
    ]);
    expect(sim.record.frames[0]!.at).toBeGreaterThanOrEqual(before);
    expect(sim.record.framesOf(Cmd.Heartbeat, 'stock')).toHaveLength(1);
    c.close();
    await sim.waitFor('close');
    await elapse(60, 'the reconnect comes a while after the close');
    await connect(sim, 'stock');
    const [first, second] = sim.record.connectionsOf('stock');
    expect(first!.closedAt).toBeDefined();
    expect(second!.openedAt - first!.closedAt!).toBeGreaterThanOrEqual(50);
    expect(sim.record.reconnectGaps('stock')).toHaveLength(1);
    expect(sim.record.reconnectGaps('stock')[0]).toBeGreaterThanOrEqual(50);
    expect(sim.record.connectionsOf('quote')).toEqual([]);
    sim.record.reset();
    expect(sim.record.frames).toEqual([]);
    expect(sim.record.connections).toHaveLength(1);
  });

  it('keeps at most recordLimit frames', async () => {
    const sim = await start({ recordLimit: 3 });
    const c = await connect(sim);
    for (let i = 0; i < 5; i++) c.send(`f${i}`);
    await vi.waitFor(() => expect(c.frames).toHaveLength(5));
    expect(sim.record.frames.map((f) => f.text)).toEqual(['f2', 'f3', 'f4']);
  });
});
