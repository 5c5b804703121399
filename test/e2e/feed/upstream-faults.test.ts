/**
 * Upstream faults end to end (simulator ⇄ server ⇄ graphql-ws clients): each is visible in
 * feedStatus and /ready, reaches the subscribers it affects, and none makes the server hammer.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cmd } from '../../../src/feed/alltick/protocol.js';
import { collect, dispose, gql, QUOTES_SUBSCRIPTION, startStack, wsClient, type QuoteData, type Stack } from '../../support/helpers.js';
import { quietFor } from '../../support/time.js';

afterEach(dispose);

type Result = { data?: { quotes: QuoteData } | null; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] };

function subscribe(stack: Stack, symbols: string[], depth = 0) {
  return collect<Result>(wsClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols, depth } }) as AsyncIterableIterator<Result>);
}

/** Errors a collector saw, however graphql-ws delivered them (error message or next with errors). */
function errorsOf(sub: { items: Result[]; errors: unknown[] }) {
  const fromItems = sub.items.flatMap((r) => r.errors ?? []);
  const fromThrow = sub.errors.flatMap((e) => (Array.isArray(e) ? e : [e])) as { message: string; extensions?: Record<string, unknown> }[];
  return [...fromItems, ...fromThrow];
}

const tradeLists = (stack: Stack) =>
  stack.sim.record.framesOf(Cmd.SubscribeTrade, 'stock').map((f) => (JSON.parse(f.text).data.symbol_list as { code: string }[]).map((e) => e.code));
const ready = async (stack: Stack) => (await fetch(stack.url.replace('/graphql', '/ready'))).status;
const STATUS_QUERY = '{ feedStatus { connected connections { endpoint state reason lastError { ret message operation codes at } } } }';
type StatusConnection = {
  endpoint: string;
  state: string;
  reason: string | null;
  lastError: { ret: number; message: string; operation: string; codes: string[] } | null;
};
async function stockStatus(stack: Stack): Promise<StatusConnection> {
  const { body } = await gql(stack, STATUS_QUERY);
  return (body.data?.feedStatus as { connections: StatusConnection[] }).connections.find((c) => c.endpoint === 'STOCK') as StatusConnection;
}

describe('a code upstream rejects', () => {
  it('errors only the subscriptions that asked for it; the others keep their data; the culprit is found by bisecting without hammering', async () => {
    // the server spaces requests 50 ms apart; the simulator (same process, busy event loop) measures on arrival
    const stack = await startStack({ sim: { spacingMs: 25 } });
    stack.sim.failCode('ZZZZ.US', 604);
    await vi.waitFor(async () => expect(await ready(stack)).toBe(200));

    // all in one turn: one coalesced list of six codes, one of them bad
    const a = subscribe(stack, ['AAPL.US']);
    const b = subscribe(stack, ['MSFT.US', 'ZZZZ.US']);
    const c = subscribe(stack, ['ZZZZ.US']);
    const d = subscribe(stack, ['TSLA.US', 'NVDA.US', 'AMZN.US']);

    await vi.waitFor(
      () => {
        expect(b.done && c.done).toBe(true);
      },
      { timeout: 8000 },
    );
    for (const sub of [b, c]) {
      const [error] = errorsOf(sub);
      expect(error?.message).toMatch(/ZZZZ\.US.*604/);
      expect(error?.extensions).toMatchObject({ code: 'UPSTREAM_REJECTED', symbol: 'ZZZZ.US', ret: 604 });
    }
    // the others are subscribed upstream and receive data
    await vi.waitFor(() =>
      expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.tradeList).toEqual(expect.arrayContaining(['AAPL.US', 'AMZN.US', 'NVDA.US', 'TSLA.US'])),
    );
    for (const symbol of ['AAPL.US', 'TSLA.US']) stack.sim.pushTrade(symbol, { price: '123.45' });
    await vi.waitFor(() => {
      expect(a.items.some((r) => r.data?.quotes.symbol === 'AAPL.US')).toBe(true);
      expect(d.items.some((r) => r.data?.quotes.symbol === 'TSLA.US')).toBe(true);
    });
    expect(a.done || d.done).toBe(false);
    expect(errorsOf(a).concat(errorsOf(d))).toEqual([]);

    // bisecting six codes takes a handful of requests, never a burst, and the culprit never lands
    const lists = tradeLists(stack);
    expect(lists.length).toBeLessThanOrEqual(8);
    expect(stack.sim.record.spacingViolations).toBe(0);
    expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.tradeList).not.toContain('ZZZZ.US');
    for (const list of lists) expect(new Set(list).size).toBe(list.length);
    // the failed lease gave back its other symbol; nothing holds the culprit
    await vi.waitFor(() => expect(stack.server.feed.manager.refCount('MSFT.US')).toBe(0));
    expect(stack.server.feed.manager.refCount('ZZZZ.US')).toBe(0);
    expect(stack.server.feed.manager.leaseCount).toBe(2);

    // visible in feedStatus
    const status = await stockStatus(stack);
    expect(status.lastError).toMatchObject({ ret: 604, operation: 'trade' });
    expect(status.lastError?.codes).toContain('ZZZZ.US');

    // asking again fails at once, without another upstream request
    const framesBefore = stack.sim.record.frames.length;
    const again = subscribe(stack, ['ZZZZ.US']);
    await vi.waitFor(() => expect(again.done).toBe(true));
    expect(errorsOf(again)[0]?.extensions).toMatchObject({ code: 'UPSTREAM_REJECTED', symbol: 'ZZZZ.US' });
    expect(stack.sim.record.frames.slice(framesBefore).filter((f) => f.text.includes('ZZZZ.US'))).toHaveLength(0);
  });

  it('a code rejected while others are already subscribed is isolated at once; the held list is kept', async () => {
    const stack = await startStack();
    const held = subscribe(stack, ['AAPL.US', 'MSFT.US'], 1);
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.tradeList).toEqual(['AAPL.US', 'MSFT.US']));
    stack.sim.failCode('9999.HK', 600);
    const bad = subscribe(stack, ['9999.HK'], 1);
    await vi.waitFor(() => expect(bad.done).toBe(true), { timeout: 8000 });
    expect(errorsOf(bad)[0]?.extensions).toMatchObject({ code: 'UPSTREAM_REJECTED', symbol: '9999.HK', ret: 600 });
    // only one suspect (the others were accepted before): no probing needed
    expect(tradeLists(stack).filter((l) => l.includes('9999.HK'))).toHaveLength(1);
    stack.sim.pushTrade('MSFT.US', { price: '410.10' });
    await vi.waitFor(() => expect(held.items.some((r) => r.data?.quotes.price === '410.10')).toBe(true));
    expect(held.done).toBe(false);
  });
});

describe('connection-level faults', () => {
  it('401 on connect: /ready 503, feedStatus says why, backoff; when upstream accepts again, subscriptions get fresh data', async () => {
    const stack = await startStack({ timings: { reconnectGapMs: 200, maxBackoffMs: 1500 } });
    const sub = subscribe(stack, ['AAPL.US'], 1);
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.tradeList).toEqual(['AAPL.US']));
    await vi.waitFor(async () => expect(await ready(stack)).toBe(200));

    stack.sim.refuseConnections(2500, 401);
    stack.sim.killConnections({ endpoint: 'stock' });
    await vi.waitFor(
      async () => {
        expect(await ready(stack)).toBe(503);
        const status = await stockStatus(stack);
        expect(status.state).not.toBe('CONNECTED');
        expect(status.lastError).toMatchObject({ ret: 401, operation: 'connect' });
      },
      { timeout: 5000 },
    );
    // a bad token is not retried at the minimum gap: far fewer attempts than 2.5 s / 200 ms
    await vi.waitFor(async () => expect(await ready(stack)).toBe(200), { timeout: 10_000 });
    const refused = stack.sim.record.upgrades.filter((u) => u.outcome === 'refused' && u.endpoint === 'stock');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThanOrEqual(4);

    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'stock' })[0]?.tradeList).toEqual(['AAPL.US']));
    stack.sim.pushTrade('AAPL.US', { price: '201.00' });
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes.price).toBe('201.00'));
    expect(sub.done).toBe(false);
  });

  it('acks that never come: the connection is dropped with a reason and restored with the lists when acks return', async () => {
    const stack = await startStack({ timings: { ackTimeoutMs: 600, heartbeatIntervalMs: 300 } });
    const sub = subscribe(stack, ['EURUSD'], 1);
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual(['EURUSD']));
    stack.sim.setAckMode('withhold');
    await vi.waitFor(
      async () => {
        const { body } = await gql(stack, STATUS_QUERY);
        const quote = (body.data?.feedStatus as { connections: StatusConnection[] }).connections.find((c) => c.endpoint === 'QUOTE');
        expect(quote?.reason).toMatch(/no ack for (heartbeat|trade|depth) within 600 ms/);
      },
      { timeout: 5000 },
    );
    stack.sim.setAckMode('normal');
    await vi.waitFor(
      async () => {
        expect(await ready(stack)).toBe(200);
        expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual(['EURUSD']);
      },
      { timeout: 8000 },
    );
    stack.sim.pushTrade('EURUSD', { price: '1.10101' });
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes.price).toBe('1.10101'));
  });

  it('605 on a list request: retried with a growing wait, then applied; subscribers are not failed', async () => {
    const stack = await startStack();
    stack.sim.failCode('GOLD', 605);
    const sub = subscribe(stack, ['GOLD'], 1);
    await vi.waitFor(() => expect(stack.sim.record.framesOf(Cmd.SubscribeTrade, 'quote').length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    await quietFor(1500, 'no hammering: the retries back off');
    // spacing is 50 ms: a hammering client would have sent ~30 requests by now
    const attempts = stack.sim.record.framesOf(Cmd.SubscribeTrade, 'quote').length;
    expect(attempts).toBeLessThanOrEqual(8);
    stack.sim.failCode('GOLD', null);
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual(['GOLD']), { timeout: 10_000 });
    stack.sim.pushTrade('GOLD', { price: '2700.00' });
    await vi.waitFor(() => expect(sub.items.at(-1)?.data?.quotes.price).toBe('2700.00'));
    expect(errorsOf(sub)).toEqual([]);
  });
});

describe('REST faults', () => {
  it('429 and 5xx pause every REST call (growing backoff), show in feedStatus.rest, and clear when calls succeed again', async () => {
    const stack = await startStack();
    const restStatus = async () => {
      const { body } = await gql(stack, '{ feedStatus { rest { paused pausedUntil failures lastError { ret message operation } } } }');
      return (
        body.data?.feedStatus as {
          rest: { paused: boolean; pausedUntil: string | null; failures: number; lastError: { ret: number; message: string; operation: string } | null };
        }
      ).rest;
    };
    expect(await restStatus()).toEqual({ paused: false, pausedUntil: null, failures: 0, lastError: null });

    stack.sim.failNextRest(1, 429);
    await expect(stack.server.rest.tradeTicks(['AAPL.US'])).rejects.toThrow(/429/);
    const first = await restStatus();
    expect(first).toMatchObject({ paused: true, failures: 1, lastError: { ret: 429, operation: '/trade-tick' } });

    // the next call waits out the pause instead of hammering; a 5xx doubles the pause
    stack.sim.failNextRest(1, 503);
    const startedAt = Date.now();
    await expect(stack.server.rest.tradeTicks(['AAPL.US'])).rejects.toThrow(/503/);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
    const second = await restStatus();
    expect(second).toMatchObject({ paused: true, failures: 2, lastError: { ret: 503 } });
    expect(Date.parse(second.pausedUntil as string) - Date.now()).toBeGreaterThan(1000);
    expect(stack.sim.record.restCalls).toHaveLength(2);

    await vi.waitFor(async () => expect((await restStatus()).paused).toBe(false), { timeout: 10_000 });
    await expect(stack.server.rest.tradeTicks(['AAPL.US'])).resolves.toBeInstanceOf(Array);
    expect(await restStatus()).toMatchObject({ paused: false, failures: 0, lastError: { ret: 503 } });
  }, 30_000);
});
