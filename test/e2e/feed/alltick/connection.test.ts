/**
 * The upstream client against the simulator, over real sockets on port 0: conduct (spacing,
 * heartbeats, reconnect gap), list replacement, normalization, faults.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AllTickConnection, type ConnectionOptions, type RejectedRequest } from '../../../../src/feed/alltick/connection.js';
import { Cmd, type MarketEvent } from '../../../../src/feed/alltick/protocol.js';
import { PLANS } from '../../../../src/feed/alltick/plans.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../../../src/simulator/server.js';
import { elapse, quietFor } from '../../../support/time.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/**
 * The simulator shares this process and measures spacing when it reads a frame, which a busy event
 * loop delays: its spacing is kept ~30 % under the client's, so one late read is not a violation.
 */
const SIM_SPACING_MS = 70;

async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await createSimulator({ ticksPerSecond: 0, ...options });
  cleanups.push(() => sim.close());
  return sim;
}

function connect(sim: Simulator, options: Partial<ConnectionOptions> = {}): AllTickConnection {
  const connection = new AllTickConnection({
    wsBaseUrl: sim.wsUrl,
    endpoint: 'stock',
    token: 'test-token',
    plan: PLANS.basic,
    requestSpacingMs: 1000,
    reconnectGapMs: 300,
    ...options,
  });
  cleanups.push(() => connection.stop());
  connection.start();
  return connection;
}

const session = (sim: Simulator) => sim.sessions({ endpoint: 'stock' })[0];

describe('AllTickConnection', () => {
  it('subscribes, replaces (never merges) and cancels its lists', async () => {
    const sim = await simulator({ spacingMs: SIM_SPACING_MS });
    const connection = connect(sim, { requestSpacingMs: 100 });
    connection.setLists({ trades: ['AAPL.US', 'MSFT.US'], depth: [{ code: '700.HK', depth_level: 5 }] });
    await vi.waitFor(() => {
      expect(session(sim)?.tradeList).toEqual(['AAPL.US', 'MSFT.US']);
      expect(session(sim)?.depthList).toEqual([{ code: '700.HK', depth_level: 5 }]);
    });

    connection.setLists({ trades: ['NVDA.US'], depth: [{ code: '700.HK', depth_level: 5 }] });
    await vi.waitFor(() => expect(session(sim)?.tradeList).toEqual(['NVDA.US']));
    expect(session(sim)?.depthList).toEqual([{ code: '700.HK', depth_level: 5 }]);

    connection.setLists({ trades: [], depth: [] });
    await vi.waitFor(() => {
      expect(session(sim)?.tradeList).toEqual([]);
      expect(session(sim)?.depthList).toEqual([]);
    });
    const cancels = sim.record.framesOf(Cmd.Cancel).map((f) => JSON.parse(f.text).data.cancel_type);
    expect(cancels).toEqual([0]); // both lists emptied at once: one cancel-all
    expect(sim.record.spacingViolations).toBe(0);
  });

  it('emits normalized events with exact decimal strings', async () => {
    const sim = await simulator({ spacingMs: SIM_SPACING_MS });
    const connection = connect(sim, { requestSpacingMs: 100 });
    const events: MarketEvent[] = [];
    connection.on('event', (e) => events.push(e));
    connection.setLists({ trades: ['700.HK'], depth: [{ code: '700.HK', depth_level: 2 }] });
    await vi.waitFor(() => expect(session(sim)?.depthList).toHaveLength(1));

    sim.pushTrade('700.HK', { price: '651.120000', volume: '300', trade_direction: 2 });
    sim.pushDepth('700.HK', { bids: [{ price: '651.100', volume: '1000' }], asks: [{ price: '651.200', volume: '2000' }] });
    await vi.waitFor(() => expect(events).toHaveLength(2));
    expect(events[0]).toMatchObject({ kind: 'trade', symbol: '700.HK', price: '651.120000', volume: '300', side: 'SELL' });
    expect(events[0]?.seq).toMatch(/^\d+$/);
    expect(events[0]?.time).toBeGreaterThan(1e12);
    expect(events[1]).toMatchObject({ kind: 'depth', bids: [{ price: '651.100', volume: '1000' }], asks: [{ price: '651.200', volume: '2000' }] });
  });

  it('accepts integer seq and tick_time', async () => {
    const sim = await simulator({ spacingMs: SIM_SPACING_MS, numericSeq: true });
    const connection = connect(sim, { requestSpacingMs: 100 });
    const events: MarketEvent[] = [];
    connection.on('event', (e) => events.push(e));
    connection.setLists({ trades: ['AAPL.US'], depth: [] });
    await vi.waitFor(() => expect(session(sim)?.tradeList).toEqual(['AAPL.US']));
    sim.pushTrade('AAPL.US', { price: '189.5' });
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(events[0]).toMatchObject({ price: '189.5', seq: expect.stringMatching(/^\d+$/) });
  });

  it('sends a heartbeat every interval', async () => {
    const sim = await simulator({ spacingMs: SIM_SPACING_MS / 2, heartbeatTimeoutMs: 1000 });
    connect(sim, { requestSpacingMs: 50, heartbeatIntervalMs: 200 });
    await vi.waitFor(() => expect(sim.record.framesOf(Cmd.Heartbeat).length).toBeGreaterThanOrEqual(5), { timeout: 3000 });
    const times = sim.record.framesOf(Cmd.Heartbeat).map((f) => f.at);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    // measured where the simulator reads the frame, in this same process: its event loop may be
    // late for one frame, which shortens one gap; none is sent early, so the span is whole intervals
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(gaps.length * 200 - 50);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(150);
      expect(gap).toBeLessThan(400);
    }
    expect(sim.sessions()).toHaveLength(2 - 1); // never timed out and reconnected
  });

  it('a flood of list changes never breaks the 1 s spacing, and the last list wins', async () => {
    const sim = await simulator(); // enforces 1000 ms with 606-and-close
    const connection = connect(sim);
    const codes = ['AAPL.US', 'MSFT.US', 'NVDA.US', 'TSLA.US', 'AMZN.US', 'META.US'];
    for (let i = 0; i < 60; i++) {
      connection.setLists({
        trades: codes.slice(0, 1 + (i % codes.length)),
        depth: codes.slice(0, 1 + ((i * 7) % codes.length)).map((code) => ({ code, depth_level: 1 })),
      });
      await elapse(40, 'the flood itself: a change every 40 ms');
    }
    const last = { trades: ['AAPL.US', 'MSFT.US', 'NVDA.US', 'TSLA.US', 'AMZN.US', 'META.US'], depth: [] as { code: string; depth_level: number }[] };
    connection.setLists(last);
    await vi.waitFor(
      () => {
        expect(session(sim)?.tradeList).toEqual(last.trades);
        expect(session(sim)?.depthList).toEqual([]);
      },
      { timeout: 8000 },
    );
    expect(sim.record.spacingViolations).toBe(0);
    expect(sim.allSessions()).toHaveLength(1); // never closed for a violation
    const sent = sim.record.frames.filter((f) => f.cmd_id !== Cmd.Heartbeat);
    expect(sent.length).toBeLessThan(12); // coalesced: ~one request per second, not 61
  });

  it('reconnects no sooner than the minimum gap and re-sends the same lists', async () => {
    const sim = await simulator({ spacingMs: SIM_SPACING_MS });
    const connection = connect(sim, { requestSpacingMs: 100, reconnectGapMs: 600 });
    const lists = { trades: ['700.HK', 'AAPL.US'], depth: [{ code: '700.HK', depth_level: 10 }] };
    connection.setLists(lists);
    await vi.waitFor(() => expect(session(sim)?.depthList).toEqual(lists.depth));
    // the simulator holds the lists before the connection has read their acks: listen only after that
    await vi.waitFor(() => expect(connection.status.resubscribed).toBe(true));
    const states: string[] = [];
    connection.on('status', (s) => states.push(s.state + (s.resubscribed ? '+resubscribed' : '')));

    expect(sim.killConnections()).toBe(1);
    await vi.waitFor(
      () => {
        expect(sim.record.connectionsOf('stock')).toHaveLength(2);
        expect(session(sim)?.tradeList).toEqual(lists.trades);
        expect(session(sim)?.depthList).toEqual(lists.depth);
      },
      { timeout: 5000 },
    );
    const [first, second] = sim.record.connectionsOf('stock');
    expect(second!.openedAt - first!.closedAt!).toBeGreaterThanOrEqual(600);
    await vi.waitFor(() => expect(states).toContain('connected+resubscribed'));
    expect(states[0]).toBe('disconnected');
    expect(connection.status.reconnects).toBe(1);
  });

  it('counts garbage frames, drops them, and keeps working', async () => {
    const sim = await simulator({ spacingMs: SIM_SPACING_MS });
    const connection = connect(sim, { requestSpacingMs: 100 });
    const invalid: string[] = [];
    connection.on('invalidFrame', (reason) => invalid.push(reason));
    const events: MarketEvent[] = [];
    connection.on('event', (e) => events.push(e));
    connection.setLists({ trades: ['AAPL.US'], depth: [] });
    await vi.waitFor(() => expect(session(sim)?.tradeList).toEqual(['AAPL.US']));

    const garbage = ['not json', '{"cmd_id":22998,"data":{"code":"AAPL.US","price":"x"}}', '[1,2]', '{"cmd_id":22999,"data":null}', '\u0000\u0001'];
    for (const g of garbage) sim.sendRaw(g);
    sim.pushTrade('AAPL.US', { price: '190.01' });
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(connection.counters.invalidFrames).toBe(garbage.length);
    expect(invalid).toHaveLength(garbage.length);
    expect(connection.status.state).toBe('connected');
  });

  it('reports a 401 at connect and backs off instead of hammering', async () => {
    const sim = await simulator({ tokens: ['good'] });
    const rejected: RejectedRequest[] = [];
    const connection = connect(sim, { token: 'bad-token', reconnectGapMs: 100, maxBackoffMs: 5000 });
    connection.on('rejected', (r) => rejected.push(r));
    await vi.waitFor(() => expect(rejected.length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    expect(rejected[0]?.error.ret).toBe(401);
    expect(rejected[0]?.error.message).not.toContain('bad-token');
    expect(connection.status.state).not.toBe('connected');
    // Backoff: with a 100 ms gap a hammering client would try ~20 times in 2 s.
    const attempts = sim.record.upgrades.filter((u) => u.outcome === 'token-invalid');
    await quietFor(1500, 'no hammering: the reconnects back off');
    const later = sim.record.upgrades.filter((u) => u.outcome === 'token-invalid');
    expect(later.length - attempts.length).toBeLessThanOrEqual(1);
  });

  it('reports a 606 (too many connections) and backs off', async () => {
    const sim = await simulator({ maxConnections: 1, spacingMs: SIM_SPACING_MS });
    connect(sim, { requestSpacingMs: 100 });
    await vi.waitFor(() => expect(sim.sessions()).toHaveLength(1));
    const extra = connect(sim, { requestSpacingMs: 100, reconnectGapMs: 200, maxBackoffMs: 10_000 });
    const rejected: RejectedRequest[] = [];
    extra.on('rejected', (r) => rejected.push(r));
    await vi.waitFor(() => expect(rejected.some((r) => r.error.ret === 606)).toBe(true), { timeout: 5000 });
    const refusedAt = () => sim.record.upgrades.filter((u) => u.outcome === 'connection-limit').map((u) => u.at);
    await vi.waitFor(() => expect(refusedAt().length).toBeGreaterThanOrEqual(4), { timeout: 8000 });
    // never sooner than the gap, and growing: exponential backoff, not a fixed-rate hammer
    const times = refusedAt();
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(200);
    expect(gaps.at(-1)).toBeGreaterThan((gaps[0] as number) * 1.5);
  });

  it('counts as connected only once upstream answers a request: a socket refused with 606 never shows as up', async () => {
    const sim = await simulator({ maxConnections: 1, spacingMs: SIM_SPACING_MS });
    const first = connect(sim, { requestSpacingMs: 100 });
    let connectedAt = 0;
    first.on('status', (s) => {
      if (s.state === 'connected' && !connectedAt) connectedAt = Date.now();
    });
    await vi.waitFor(() => expect(first.status.state).toBe('connected'));
    // with nothing to subscribe, a heartbeat at once proves the socket: `connected` only after upstream got it
    const heartbeat = sim.record.framesOf(Cmd.Heartbeat)[0];
    expect(heartbeat).toBeDefined();
    expect(connectedAt).toBeGreaterThanOrEqual(heartbeat!.at);

    const extra = connect(sim, { requestSpacingMs: 100, reconnectGapMs: 200 });
    const states: string[] = [];
    extra.on('status', (s) => states.push(s.state));
    extra.setLists({ trades: ['AAPL.US'], depth: [] });
    await vi.waitFor(() => expect(sim.record.upgrades.filter((u) => u.outcome === 'connection-limit').length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    expect(states).not.toContain('connected');
    expect(first.status.state).toBe('connected');
  });

  it('an ack that never comes drops the connection and reconnects', async () => {
    const sim = await simulator({ spacingMs: SIM_SPACING_MS });
    const connection = connect(sim, { requestSpacingMs: 100, ackTimeoutMs: 300, reconnectGapMs: 200 });
    await vi.waitFor(() => expect(connection.status.state).toBe('connected'));
    sim.setAckMode('withhold');
    connection.setLists({ trades: ['AAPL.US'], depth: [] });
    await vi.waitFor(() => expect(connection.status.reason).toMatch(/no ack for trade/));
    sim.setAckMode('normal');
    await vi.waitFor(
      () => {
        expect(sim.record.connectionsOf('stock').length).toBeGreaterThanOrEqual(2);
        expect(session(sim)?.tradeList).toEqual(['AAPL.US']);
      },
      { timeout: 5000 },
    );
  });

  it('surfaces a ret other than 200 as a typed error with the codes of the request', async () => {
    const sim = await simulator({ spacingMs: SIM_SPACING_MS });
    const connection = connect(sim, { requestSpacingMs: 100 });
    sim.failCode('ZZZZ.US', 604);
    const rejected: RejectedRequest[] = [];
    connection.on('rejected', (r) => rejected.push(r));
    connection.setLists({ trades: ['AAPL.US', 'ZZZZ.US'], depth: [] });
    await vi.waitFor(() => expect(rejected).toHaveLength(1));
    expect(rejected[0]).toMatchObject({ channel: 'trades', codes: ['AAPL.US', 'ZZZZ.US'] });
    expect(rejected[0]?.error.ret).toBe(604);
  });
});
