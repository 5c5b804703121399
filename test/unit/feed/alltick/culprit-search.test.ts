/** Unit tests: the bisecting culprit search and the manager's failing of leases by symbol. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CulpritSearch } from '../../../../src/feed/alltick/culprit-search.js';
import { FeedManager, REJECTED_SYMBOL_TTL_MS, SymbolRejectedError, type ListSink } from '../../../../src/feed/manager.js';
import type { SubscriptionLists } from '../../../../src/feed/alltick/connection.js';
import type { Endpoint } from '../../../../src/feed/alltick/symbols.js';

/** Plays upstream: rejects any list holding one of `bad`; returns the lists sent until stable. */
function runSearch(desired: string[], bad: Set<string>, accepted: string[] = []) {
  const search = new CulpritSearch();
  if (accepted.length) search.accepted(accepted);
  const sent: string[][] = [];
  const culprits: string[] = [];
  for (let round = 0; round < 50; round++) {
    const wanted = desired.filter((c) => !culprits.includes(c));
    const list = search.filter(wanted, (c) => c);
    if (sent.length && JSON.stringify(sent.at(-1)) === JSON.stringify(list) && !search.searching) break;
    sent.push(list);
    const culprit = list.some((c) => bad.has(c)) ? search.rejected(list) : search.accepted(list);
    if (culprit) culprits.push(culprit);
  }
  return { sent, culprits };
}

describe('CulpritSearch', () => {
  it('isolates one bad code among many in about log2(n) lists', () => {
    const codes = Array.from({ length: 64 }, (_, i) => `C${i}.US`);
    const { sent, culprits } = runSearch(codes, new Set(['C41.US']));
    expect(culprits).toEqual(['C41.US']);
    expect(sent.length).toBeLessThanOrEqual(9);
    expect(sent.at(-1)).toEqual(codes.filter((c) => c !== 'C41.US'));
  });

  it('finds several bad codes one after another', () => {
    const codes = Array.from({ length: 20 }, (_, i) => `C${i}.US`);
    const { culprits, sent } = runSearch(codes, new Set(['C3.US', 'C17.US']));
    expect(culprits.sort()).toEqual(['C17.US', 'C3.US']);
    expect(sent.at(-1)).toHaveLength(18);
  });

  it('suspects only the codes not accepted before', () => {
    const { sent, culprits } = runSearch(['A.US', 'B.US', 'C.US', 'NEW.US'], new Set(['NEW.US']), ['A.US', 'B.US', 'C.US']);
    expect(culprits).toEqual(['NEW.US']);
    expect(sent).toHaveLength(2); // the rejected list, then the list without the culprit
  });

  it('a culprit no longer wanted is forgotten, so it is tried afresh later', () => {
    const search = new CulpritSearch();
    expect(search.rejected(['X.US'])).toBe('X.US');
    expect(search.filter(['X.US', 'A.US'], (c) => c)).toEqual(['A.US']);
    search.prune(['A.US']);
    expect(search.filter(['X.US', 'A.US'], (c) => c)).toEqual(['X.US', 'A.US']);
  });
});

class Sink implements ListSink {
  last = new Map<Endpoint, SubscriptionLists>();
  setDesired(endpoint: Endpoint, lists: SubscriptionLists): void {
    this.last.set(endpoint, lists);
  }
}

describe('FeedManager.failSymbol', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('tells only the leases holding the symbol, drops it from the lists at once and refuses it for a while', async () => {
    const sink = new Sink();
    const manager = new FeedManager({ sink, lingerMs: 5000, capacity: { stock: 100, quote: 100 } });
    const failures: string[] = [];
    const a = manager.acquire(['AAPL.US', 'BAD.US'], 1, (e) => failures.push(`a:${e.symbol}`));
    manager.acquire(['BAD.US'], 0, (e) => failures.push(`b:${e.symbol}`));
    manager.acquire(['MSFT.US'], 0, (e) => failures.push(`c:${e.symbol}`));
    await Promise.resolve();
    expect(sink.last.get('stock')?.trades).toEqual(['AAPL.US', 'BAD.US', 'MSFT.US']);

    manager.failSymbol(new SymbolRejectedError('BAD.US', 604, 'code unauthorized'));
    await Promise.resolve();
    expect(failures).toEqual(['a:BAD.US', 'b:BAD.US']);
    expect(sink.last.get('stock')?.trades).toEqual(['AAPL.US', 'MSFT.US']); // no linger for a refused code
    expect(manager.refCount('BAD.US')).toBe(0);

    a.release(); // releasing the failed lease gives back only what it still held
    expect(manager.refCount('AAPL.US')).toBe(0);
    expect(() => manager.acquire(['BAD.US'], 0)).toThrow(/upstream rejected BAD\.US: ret 604/);
    expect(manager.rejectedSymbols().map((e) => e.symbol)).toEqual(['BAD.US']);
    vi.advanceTimersByTime(REJECTED_SYMBOL_TTL_MS + 1);
    expect(() => manager.acquire(['BAD.US'], 0).release()).not.toThrow();
  });
});
