/**
 * Resume after reconnect on one instance (SPEC §4, issue 15), end to end over graphql-ws: a
 * `trades` client cut off for 5 s at ~500 trades/s comes back with `after` and has every trade
 * exactly once, in order; a cursor the history no longer reaches (too old, or from before a
 * restart) gets the gap marker; a `quotes` resume gets one SNAPSHOT per changed symbol only.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { collect, dispose, gql, startStack, wsClient, type Stack } from '../../support/helpers.js';
import { cutAndResume, subscribeTrades, tradesOf } from '../../support/resume-fixture.js';
import { ErrorCode } from '../../../src/clients/error-codes.js';

afterEach(dispose);

/** three symbols at ~170 trades/s each: ~500 trades/s in one subscription */
const FAST_SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'EURUSD'];

describe('trades resume', () => {
  it('a client cut off for 5 s at ~500 trades/s resumes with `after` and has every trade exactly once, in order', async () => {
    const stack = await startStack({ sim: { ticksPerSecond: 170 }, env: { TRADE_HISTORY_SIZE: '5000' } });
    const { missed, resumed } = await cutAndResume({
      cutUrl: stack.wsUrl,
      resumeUrl: stack.wsUrl,
      referenceUrl: stack.wsUrl,
      symbols: FAST_SYMBOLS,
      outageMs: 5000,
    });
    expect(missed).toBeGreaterThan(1500); // the outage really cost trades, at a rate near 500/s
    expect(resumed).toBeGreaterThanOrEqual(missed);
  }, 60_000);

  it('a cursor the history no longer reaches gets the gap marker on the first trade of its symbol, then continues', async () => {
    const stack = await startStack({ sim: { ticksPerSecond: 100 }, env: { TRADE_HISTORY_SIZE: '50' } });
    const first = subscribeTrades(stack.wsUrl, ['BTCUSDT', 'ETHUSDT']);
    await vi.waitFor(() => expect(tradesOf(first).filter((t) => t.symbol === 'ETHUSDT').length).toBeGreaterThan(0), { timeout: 10_000 });
    const old = tradesOf(first).find((t) => t.symbol === 'ETHUSDT')!;
    // the history keeps 50 trades per symbol: wait until 60 more went by
    await vi.waitFor(() => expect(tradesOf(first).filter((t) => t.symbol === 'ETHUSDT').length).toBeGreaterThan(61), { timeout: 10_000 });
    const recent = tradesOf(first)
      .filter((t) => t.symbol === 'BTCUSDT')
      .at(-1)!;

    const resumed = subscribeTrades(stack.wsUrl, ['BTCUSDT', 'ETHUSDT'], [old.cursor, recent.cursor]);
    await vi.waitFor(
      () => {
        const got = tradesOf(resumed);
        expect(got.filter((t) => t.symbol === 'ETHUSDT').length).toBeGreaterThan(5);
        expect(got.filter((t) => t.symbol === 'BTCUSDT').length).toBeGreaterThan(5);
      },
      { timeout: 10_000 },
    );
    const eth = tradesOf(resumed).filter((t) => t.symbol === 'ETHUSDT');
    const btc = tradesOf(resumed).filter((t) => t.symbol === 'BTCUSDT');
    expect(eth[0]!.gap).toBe(true); // told before it continues
    expect(eth.slice(1).some((t) => t.gap)).toBe(false);
    expect(btc.some((t) => t.gap)).toBe(false); // this cursor is still in reach: no marker
    const reference = tradesOf(first)
      .filter((t) => t.symbol === 'BTCUSDT')
      .map((t) => t.seq);
    expect(reference.slice(reference.indexOf(recent.seq) + 1, reference.indexOf(recent.seq) + 1 + 5)).toEqual(btc.slice(0, 5).map((t) => t.seq));
  }, 30_000);

  it('a cursor from before a restart (another history) gets the gap marker', async () => {
    const before = await startStack({ sim: { ticksPerSecond: 50 } });
    const sub = subscribeTrades(before.wsUrl, ['BTCUSDT']);
    await vi.waitFor(() => expect(sub.items.length).toBeGreaterThan(0), { timeout: 10_000 });
    const cursor = tradesOf(sub)[0]!.cursor;
    const after = await startStack({ sim: { ticksPerSecond: 50 } });
    const resumed = subscribeTrades(after.wsUrl, ['BTCUSDT'], [cursor]);
    await vi.waitFor(() => expect(resumed.items.length).toBeGreaterThan(3), { timeout: 10_000 });
    expect(tradesOf(resumed).map((t) => t.gap)).toEqual([
      true,
      ...tradesOf(resumed)
        .slice(1)
        .map(() => false),
    ]);
  }, 30_000);

  it('recentTrades carries cursors: a stream resumed from the last one continues without a gap', async () => {
    const stack = await startStack();
    const warm = subscribeTrades(stack.wsUrl, ['BTCUSDT']);
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.tradeList).toEqual(['BTCUSDT']));
    const pushed = [1, 2, 3].map(() => stack.sim.pushTrade('BTCUSDT').data.seq);
    await vi.waitFor(() => expect(warm.items).toHaveLength(3));
    const { body } = await gql(stack, '{ recentTrades(symbol: "BTCUSDT", limit: 2) { seq cursor } }');
    const recent = body.data?.recentTrades as { seq: string; cursor: string }[];
    expect(recent.map((t) => t.seq)).toEqual(pushed.slice(1));
    const resumed = subscribeTrades(stack.wsUrl, ['BTCUSDT'], [recent[0]!.cursor]);
    await vi.waitFor(() => expect(resumed.items).toHaveLength(1)); // the one after it, from the history
    const later = stack.sim.pushTrade('BTCUSDT').data.seq;
    await vi.waitFor(() => expect(tradesOf(resumed).map((t) => t.seq)).toEqual([pushed[2], later]));
  });

  it('rejects a value that is not a cursor, naming it', async () => {
    const stack = await startStack();
    const { body } = await gql(stack, 'subscription { trades(symbols: ["BTCUSDT"], after: ["nope"]) { seq } }');
    expect(body.errors?.[0]?.message).toContain('invalid cursor "nope"');
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: ErrorCode.BadUserInput, argument: 'after' });
  });
});

const QUOTES = `subscription($symbols: [String!]!, $after: [String!]) {
  quotes(symbols: $symbols, depth: 1, after: $after) { symbol seq event cursor }
}`;
type QuoteEvent = { symbol: string; seq: string | null; event: string; cursor: string };

function subscribeQuotes(stack: Stack, symbols: string[], after?: string[]) {
  return collect<{ data?: { quotes: QuoteEvent } }>(
    wsClient(stack).iterate({ query: QUOTES, variables: { symbols, ...(after && { after }) } }) as AsyncIterableIterator<{ data?: { quotes: QuoteEvent } }>,
  );
}

describe('quotes resume', () => {
  it('starts from the latest state: one SNAPSHOT per symbol that changed since the cursors, none for the others, then live', async () => {
    const stack = await startStack();
    const symbols = ['BTCUSDT', 'ETHUSDT', 'EURUSD'];
    const first = subscribeQuotes(stack, symbols);
    await vi.waitFor(() => expect(stack.sim.sessions({ endpoint: 'quote' })[0]?.depthList.length).toBe(3));
    const books = symbols.map((s) => {
      stack.sim.pushTrade(s);
      return stack.sim.pushDepth(s).data.seq;
    });
    const lastOf = (sub: typeof first, symbol: string) =>
      sub.items
        .map((i) => i.data!.quotes)
        .filter((q) => q.symbol === symbol)
        .at(-1);
    await vi.waitFor(() => symbols.forEach((s, i) => expect(lastOf(first, s)?.seq).toBe(books[i])));
    const last = new Map(symbols.map((s) => [s, lastOf(first, s)!.cursor]));
    await first.stop();

    // meanwhile: a trade of BTCUSDT, a book of ETHUSDT, nothing for EURUSD (a watcher keeps the lists)
    const watcher = subscribeQuotes(stack, symbols);
    await vi.waitFor(() => expect(new Set(watcher.items.map((i) => i.data!.quotes.symbol)).size).toBe(3));
    stack.sim.pushTrade('BTCUSDT');
    const btcLatest = stack.sim.pushTrade('BTCUSDT').data.seq;
    const eth = stack.sim.pushDepth('ETHUSDT').data.seq;
    await vi.waitFor(() => {
      expect(lastOf(watcher, 'BTCUSDT')?.seq).toBe(btcLatest);
      expect(lastOf(watcher, 'ETHUSDT')?.seq).toBe(eth);
    });

    const resumed = subscribeQuotes(stack, symbols, [...last.values()]);
    await vi.waitFor(() => expect(resumed.items).toHaveLength(2));
    const eurusd = stack.sim.pushTrade('EURUSD');
    await vi.waitFor(() => expect(resumed.items.map((i) => i.data!.quotes.symbol)).toContain('EURUSD'));
    const events = resumed.items.map((i) => i.data!.quotes);
    expect(events.map((q) => [q.symbol, q.event, q.seq])).toEqual([
      ['BTCUSDT', 'SNAPSHOT', btcLatest],
      ['ETHUSDT', 'SNAPSHOT', eth],
      ['EURUSD', 'TICK', eurusd.data.seq],
    ]);
  });
});
