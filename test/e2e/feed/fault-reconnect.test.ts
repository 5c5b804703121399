/**
 * Fault test (issue 7, proof 1): 200 subscriptions over 10 graphql-ws connections, while the
 * simulator kills the upstream sockets every 1.5 s for 7.5 s. Afterwards every subscription gets
 * fresh data, ref counts equal the live subscriptions, and upstream holds each symbol once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CATALOGUE } from '../../../src/feed/alltick/catalogue.js';
import { Cmd } from '../../../src/feed/alltick/protocol.js';
import { endpointOf, ENDPOINTS } from '../../../src/feed/alltick/symbols.js';
import { createRng } from '../../../src/simulator/random.js';
import { collect, dispose, gql, QUOTES_SUBSCRIPTION, startStack, wsClient, type Collector, type QuoteData } from '../../support/helpers.js';
import { elapse } from '../../support/time.js';

afterEach(dispose);

type Result = { data?: { quotes: QuoteData } | null; errors?: unknown[] };

const CONNECTIONS = 10;
const PER_CONNECTION = 20;
const KILL_EVERY_MS = 1500;
const KILLS = 5;

describe('fault: upstream sockets killed repeatedly under 200 subscriptions', () => {
  it('every client receives fresh data afterwards; ref counts match; nothing subscribed twice', { timeout: 60_000 }, async () => {
    const stack = await startStack({
      // the simulator shares this busy process and measures spacing on arrival: keep a wide margin
      sim: { spacingMs: 50 },
      timings: { requestSpacingMs: 250 },
      env: { MAX_SUBSCRIPTIONS_PER_CONNECTION: '50', LINGER_MS: '300' },
    });
    const seeded = createRng(20261126);
    const rng = () => seeded.next();
    const pool = CATALOGUE.slice(0, 60).map((e) => e.code);
    const subs: { symbols: string[]; depth: number; sub: Collector<Result> }[] = [];
    for (let c = 0; c < CONNECTIONS; c++) {
      const client = wsClient(stack);
      for (let i = 0; i < PER_CONNECTION; i++) {
        const symbols = [...new Set(Array.from({ length: 1 + Math.floor(rng() * 3) }, () => pool[Math.floor(rng() * pool.length)] as string))];
        const depth = Math.floor(rng() * 4);
        subs.push({
          symbols,
          depth,
          sub: collect<Result>(client.iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols, depth } }) as AsyncIterableIterator<Result>),
        });
      }
    }
    const manager = stack.server.feed.manager;
    // graphql-ws subscriptions of one (symbols as a set, depth) share one group and one lease (src/http/fanout)
    const groupKey = (s: { symbols: string[]; depth: number }) => `${[...s.symbols].sort().join(',')}|${s.depth}`;
    const groups = [...new Map(subs.map((s) => [groupKey(s), s] as const)).values()];
    await vi.waitFor(
      () => {
        expect(stack.server.fanout.stats().members).toBe(200);
        expect(manager.leaseCount).toBe(groups.length);
      },
      { timeout: 10_000 },
    );

    // the faults: kill both upstream sockets every 1.5 s, with ticks flowing in between
    const wanted = [...new Set(subs.flatMap((s) => s.symbols))];
    let killed = 0;
    for (let k = 0; k < KILLS; k++) {
      await elapse(KILL_EVERY_MS, 'ticks flow between the kills');
      for (const symbol of wanted.slice(0, 10)) stack.sim.pushTrade(symbol);
      killed += stack.sim.killConnections();
    }

    // recovered: both endpoints back, each holding exactly what the manager wants
    await vi.waitFor(
      () => {
        for (const endpoint of ENDPOINTS) {
          const live = stack.sim.sessions({ endpoint });
          expect(live).toHaveLength(1);
          expect(live[0]?.tradeList).toEqual(manager.desired(endpoint).trades);
          expect(live[0]?.depthList).toEqual(manager.desired(endpoint).depth);
        }
      },
      { timeout: 15_000, interval: 100 },
    );
    // every kill found a live socket to kill (reconnects back off, so not always both)
    expect(killed).toBeGreaterThanOrEqual(KILLS);
    expect(stack.sim.record.connections).toHaveLength(2 + killed);

    // fresh data reaches every subscription, for every one of its symbols
    const marks = new Map(wanted.map((symbol, i) => [symbol, `${777 + i}.25`]));
    for (const [symbol, price] of marks) stack.sim.pushTrade(symbol, { price });
    await vi.waitFor(
      () => {
        for (const { symbols, sub } of subs) {
          for (const symbol of symbols) expect(sub.items.some((r) => r.data?.quotes.symbol === symbol && r.data.quotes.price === marks.get(symbol))).toBe(true);
        }
      },
      { timeout: 10_000 },
    );
    for (const { sub } of subs) {
      expect(sub.done).toBe(false);
      expect(sub.errors).toEqual([]);
    }

    // ref counts equal the live subscriptions (one lease per group of equal subscriptions)
    expect(stack.server.fanout.stats().members).toBe(200);
    expect(manager.leaseCount).toBe(groups.length);
    expect(manager.totalRefs).toBe(groups.reduce((n, s) => n + s.symbols.length, 0));
    for (const symbol of wanted) expect(manager.refCount(symbol)).toBe(groups.filter((s) => s.symbols.includes(symbol)).length);
    for (const endpoint of ENDPOINTS) {
      expect(manager.desired(endpoint).trades.sort()).toEqual(wanted.filter((s) => endpointOf(s) === endpoint).sort());
    }

    // nothing subscribed twice: no list with a repeated code, one connection per endpoint, no spacing violation
    for (const frame of stack.sim.record.frames.filter((f) => f.cmd_id === Cmd.SubscribeTrade || f.cmd_id === Cmd.SubscribeDepth)) {
      const codes = (JSON.parse(frame.text).data.symbol_list as { code: string }[]).map((e) => e.code);
      expect(new Set(codes).size).toBe(codes.length);
    }
    expect(stack.sim.record.spacingViolations).toBe(0);
    expect((await gql(stack, '{ feedStatus { connected } }')).body.data).toEqual({ feedStatus: { connected: true } });

    // everyone leaves: refs go to 0 and the upstream lists empty
    await Promise.all(subs.map((s) => s.sub.stop()));
    await vi.waitFor(() => expect(manager.totalRefs).toBe(0));
    await vi.waitFor(
      () => {
        for (const endpoint of ENDPOINTS) expect(stack.sim.sessions({ endpoint })[0]?.tradeList).toEqual([]);
      },
      { timeout: 5000 },
    );
  });
});
