/**
 * The order-book ladder of the selected symbol: asks above (best nearest the middle), the spread,
 * bids below; a bar behind each level shows its size against the largest on screen.
 */
import type { PriceLevel, Quote } from './api.js';
import { formatDecimal } from './format.js';
import { h } from './dom.js';

export class BookLadder {
  private levels = 0;

  constructor(private readonly root: HTMLElement) {
    this.clear('Pick a symbol');
  }

  clear(message: string): void {
    this.levels = 0;
    this.root.replaceChildren(h('div', { class: 'empty', text: message }));
  }

  render(quote: Quote, decimals: number): void {
    const { bids, asks } = quote;
    if (bids.length === 0 && asks.length === 0) return this.clear(quote.bookKnown ? 'The order book is empty' : 'No order book yet');
    const max = Math.max(...[...bids, ...asks].map((l) => Number(l.volume)).filter(Number.isFinite), 0);
    const row = (side: 'bid' | 'ask', level: PriceLevel) => {
      const bar = h('span', { class: 'bar' });
      bar.style.width = `${max > 0 ? Math.max(1, (Number(level.volume) / max) * 100) : 0}%`;
      return h('div', { class: `level ${side}` }, [
        bar,
        h('span', { class: 'px', text: formatDecimal(level.price, decimals) }),
        h('span', { class: 'sz', text: formatDecimal(level.volume) }),
      ]);
    };
    const bestBid = bids[0]?.price;
    const bestAsk = asks[0]?.price;
    const spread = bestBid && bestAsk ? spreadOf(bestBid, bestAsk) : null;
    this.root.replaceChildren(
      h('div', { class: 'level head' }, [h('span', { class: 'px', text: 'Price' }), h('span', { class: 'sz', text: 'Size' })]),
      ...[...asks].reverse().map((l) => row('ask', l)),
      h('div', { class: 'spread', text: spread === null ? '—' : `spread ${formatDecimal(spread, decimals)}` }),
      ...bids.map((l) => row('bid', l)),
    );
    this.levels = bids.length + asks.length;
  }

  /** Levels on screen (tests read it through window.__dashboard). */
  get levelCount(): number {
    return this.levels;
  }
}

/** ask − bid, exactly, on decimal strings (scaled integers; no float rounding). */
export function spreadOf(bid: string, ask: string): string {
  const scale = Math.max(bid.split('.')[1]?.length ?? 0, ask.split('.')[1]?.length ?? 0);
  const toInt = (s: string) => BigInt((s.split('.')[0] ?? '0') + (s.split('.')[1] ?? '').padEnd(scale, '0'));
  const diff = toInt(ask) - toInt(bid);
  const negative = diff < 0n;
  const digits = (negative ? -diff : diff).toString().padStart(scale + 1, '0');
  const out = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${out}` : out;
}
