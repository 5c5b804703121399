/**
 * The resume scenarios shared by the single-instance and the cluster tests: a `trades` client whose
 * socket is cut, which comes back later (on the same or another instance) with `after`, compared
 * with a reference client that never left.
 */
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { expect, vi } from 'vitest';
import { elapse } from './time.js';
import { collect, type Collector } from './helpers.js';

export const TRADES = `subscription($symbols: [String!]!, $after: [String!]) {
  trades(symbols: $symbols, after: $after) { symbol seq cursor gap }
}`;
export type TradeEvent = { symbol: string; seq: string; cursor: string; gap: boolean };
type Result = { data?: { trades: TradeEvent } | null; errors?: readonly { message: string }[] };

export function subscribeTrades(wsUrl: string, symbols: string[], after?: string[]): Collector<Result> {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  const collector = collect<Result>(client.iterate({ query: TRADES, variables: { symbols, ...(after && { after }) } }) as AsyncIterableIterator<Result>);
  const stop = collector.stop;
  collector.stop = async () => {
    await stop();
    await client.dispose();
  };
  return collector;
}

export const tradesOf = (c: Collector<Result>): TradeEvent[] =>
  c.items.map((r) => {
    expect(r.errors).toBeUndefined();
    return r.data!.trades;
  });

/** A raw graphql-transport-ws subscription, so the test can cut its socket like a dropped network. */
export async function rawTrades(wsUrl: string, symbols: string[]): Promise<{ socket: WebSocket; trades: TradeEvent[] }> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const trades: TradeEvent[] = [];
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { type: string; payload?: Result };
    if (message.type === 'next' && message.payload?.data) trades.push(message.payload.data.trades);
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await new Promise<void>((resolve) => socket.once('message', () => resolve()));
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: TRADES, variables: { symbols } } }));
  return { socket, trades };
}

/** seq is per symbol (two symbols' ranges overlap), so a trade is known by both */
const tradeKey = (t: TradeEvent) => `${t.symbol} ${t.seq}`;

/** The last cursor of each symbol, as a client keeps them. */
export function lastCursors(trades: readonly TradeEvent[]): string[] {
  const last = new Map<string, string>();
  for (const t of trades) last.set(t.symbol, t.cursor);
  return [...last.values()];
}

/**
 * Every symbol's trades before the cut followed by those after the resume are exactly the
 * reference's, in order, with no repeat, no gap marker, and the resumed part holds `minResumed`.
 */
export function expectSeamless(reference: readonly TradeEvent[], before: readonly TradeEvent[], resumed: readonly TradeEvent[], symbols: string[]) {
  let resumedTotal = 0;
  for (const symbol of symbols) {
    const ref = reference.filter((t) => t.symbol === symbol).map((t) => t.seq);
    const b = before.filter((t) => t.symbol === symbol).map((t) => t.seq);
    const r = resumed.filter((t) => t.symbol === symbol).map((t) => t.seq);
    resumedTotal += r.length;
    const combined = [...b, ...r];
    expect(new Set(combined).size, `${symbol}: a trade was delivered twice`).toBe(combined.length);
    const start = ref.indexOf(b[0]!);
    expect(start, `${symbol}: first trade before the cut is in the reference`).toBeGreaterThanOrEqual(0);
    const n = Math.min(combined.length, ref.length - start);
    expect(n, `${symbol}: the comparison covers the resumed part`).toBeGreaterThan(b.length);
    expect(combined.slice(0, n), `${symbol}: before + resumed = the reference`).toEqual(ref.slice(start, start + n));
  }
  expect(resumed.some((t) => t.gap)).toBe(false);
  return resumedTotal;
}

/**
 * Cuts a `trades` client's socket after a while, waits `outageMs`, resumes with `after` at
 * `resumeUrl` and checks it against a reference client on `referenceUrl` that never left.
 * Returns how many trades the client missed by the time it resumed, and how many the resumed stream
 * delivered (the missed ones, then live).
 */
export async function cutAndResume(opts: { cutUrl: string; resumeUrl: string; referenceUrl: string; symbols: string[]; outageMs: number }) {
  const { symbols } = opts;
  const reference = subscribeTrades(opts.referenceUrl, symbols);
  await vi.waitFor(() => expect(reference.items.length).toBeGreaterThan(50), { timeout: 20_000 });
  const cut = await rawTrades(opts.cutUrl, symbols);
  await vi.waitFor(() => expect(cut.trades.length).toBeGreaterThan(200), { timeout: 10_000 });
  cut.socket.terminate();
  const before = [...cut.trades];
  await elapse(opts.outageMs, 'the outage itself: the client is away this long');
  const resumed = subscribeTrades(opts.resumeUrl, symbols, lastCursors(before));
  // what the client missed: the reference's trades after its last one of each symbol, by now
  const lastBefore = (symbol: string) => before.filter((t) => t.symbol === symbol).at(-1)!.seq;
  await vi.waitFor(() => {
    const seen = new Set(tradesOf(reference).map(tradeKey));
    for (const symbol of symbols) expect(seen.has(`${symbol} ${lastBefore(symbol)}`)).toBe(true); // a busy reference may lag
  });
  const target = tradesOf(reference).length;
  const missed = symbols.reduce((sum, symbol) => {
    const ref = tradesOf(reference)
      .slice(0, target)
      .filter((t) => t.symbol === symbol)
      .map((t) => t.seq);
    return sum + ref.length - 1 - ref.indexOf(lastBefore(symbol));
  }, 0);
  await vi.waitFor(
    () => {
      const got = new Set(tradesOf(resumed).map(tradeKey));
      const ref = tradesOf(reference).slice(0, target);
      for (const symbol of symbols) expect(got.has(tradeKey(ref.filter((t) => t.symbol === symbol).at(-1)!))).toBe(true);
    },
    { timeout: 20_000 },
  );
  const total = expectSeamless(tradesOf(reference), before, tradesOf(resumed), symbols);
  await resumed.stop();
  await reference.stop();
  return { missed, resumed: total };
}
