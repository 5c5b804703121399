/**
 * The recent trades of each symbol, for `recentTrades`: a fixed-size ring per symbol, fed by the
 * feed's ingest (only trades that were not dropped as repeats). Memory is bounded per symbol.
 */
import type { Trade } from './alltick/protocol.js';

export const DEFAULT_TRADES_PER_SYMBOL = 500;

class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** The newest `n` items, oldest first. */
  last(n: number): T[] {
    const take = Math.min(n, this.count);
    const out: T[] = [];
    for (let i = take; i > 0; i--) out.push(this.items[(this.next - i + this.capacity) % this.capacity] as T);
    return out;
  }
}

export class TradeLog {
  private readonly rings = new Map<string, Ring<Trade>>();

  constructor(readonly perSymbol = DEFAULT_TRADES_PER_SYMBOL) {}

  add(trade: Trade): void {
    let ring = this.rings.get(trade.symbol);
    if (!ring) this.rings.set(trade.symbol, (ring = new Ring(this.perSymbol)));
    ring.push(trade);
  }

  /** The newest `limit` trades of `symbol`, oldest first. */
  recent(symbol: string, limit: number): Trade[] {
    return this.rings.get(symbol)?.last(limit) ?? [];
  }
}
