/**
 * The seam of a resumed `trades` stream (src/stream/trade-resume.ts), with a history whose read
 * answers only after live trades arrived: the replay and the live side overlap, and every trade
 * is still sent once, in order; a cursor out of reach marks the first trade with `gap`.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Trade } from '../../../src/feed/alltick/protocol.js';
import { MemoryTradeHistory, type Replay, type TradeHistory } from '../../../src/feed/history/trade-history.js';
import { TradeResume, type ResumedTrade } from '../../../src/stream/trade-resume.js';

const trade = (symbol: string, n: number): Trade => ({
  kind: 'trade',
  symbol,
  seq: String(1000 + n),
  time: n,
  price: '1',
  volume: '1',
  turnover: null,
  side: 'BUY',
});

/** A history whose reads wait until `answer()` is called. */
function slowHistory(inner: TradeHistory) {
  const waiting: (() => void)[] = [];
  const history: TradeHistory = {
    epoch: inner.epoch,
    limits: inner.limits,
    shared: false,
    append: (t) => inner.append(t),
    recent: (s, l) => inner.recent(s, l),
    since: (s, id) => new Promise<Replay>((resolve) => waiting.push(() => void inner.since(s, id).then(resolve))),
  };
  return { history, answer: () => waiting.splice(0).forEach((go) => go()) };
}

describe('TradeResume', () => {
  it('replays, then the held-back live trades, each once, in order', async () => {
    const memory = new MemoryTradeHistory({ maxTrades: 100, maxAgeMs: 60_000 });
    const all = Array.from({ length: 10 }, (_, i) => trade('BTCUSDT', i));
    for (const t of all.slice(0, 6)) memory.append(t); // the client got 0..2, then lost its socket
    const { history, answer } = slowHistory(memory);
    const resume = new TradeResume(history, new Map([['BTCUSDT', all[2]!.id!]]));
    const sent: ResumedTrade[] = [];
    resume.start((t) => sent.push(t));
    // live trades arrive while the history is read: 5 (also in the replay) and 6..9
    for (const t of all.slice(5)) {
      if (t.id === undefined) memory.append(t);
      resume.live(t, (x) => sent.push(x));
    }
    expect(sent).toEqual([]); // held back until the replay is in
    answer();
    await vi.waitFor(() => expect(sent.map((t) => t.seq)).toEqual(all.slice(3).map((t) => t.seq)));
    expect(sent.some((t) => t.gap)).toBe(false);
    resume.live(all[9]!, (x) => sent.push(x)); // a repeat from the live side
    expect(sent).toHaveLength(7);
  });

  it('a cursor out of reach: the first trade of its symbol says gap, the others do not', async () => {
    const memory = new MemoryTradeHistory({ maxTrades: 3, maxAgeMs: 60_000 });
    const all = Array.from({ length: 8 }, (_, i) => trade('ETHUSDT', i));
    for (const t of all) memory.append(t);
    const resume = new TradeResume(memory, new Map([['ETHUSDT', all[1]!.id!]]));
    const sent: ResumedTrade[] = [];
    resume.start((t) => sent.push(t));
    await vi.waitFor(() =>
      expect(sent.map((t) => [t.seq, t.gap ?? false])).toEqual([
        ['1005', true],
        ['1006', false],
        ['1007', false],
      ]),
    );
  });
});
