import type { SymbolSnapshot } from '../feed/cache.js';
import type { Bus } from '../feed/bus.js';

type Listener = (snapshot: SymbolSnapshot) => void;

/** The in-process bus: one listener set per symbol. */
export class MemoryBus implements Bus {
  private readonly topics = new Map<string, Set<Listener>>();

  publish(snapshot: SymbolSnapshot): void {
    const listeners = this.topics.get(snapshot.symbol);
    if (!listeners) return;
    for (const listener of listeners) listener(snapshot);
  }

  subscribe(symbol: string, listener: Listener): () => void {
    let listeners = this.topics.get(symbol);
    if (!listeners) {
      listeners = new Set();
      this.topics.set(symbol, listeners);
    }
    // wrap so the same function may subscribe twice and unsubscribe independently
    const entry: Listener = (s) => listener(s);
    listeners.add(entry);
    return () => {
      const set = this.topics.get(symbol);
      if (!set?.delete(entry)) return;
      if (set.size === 0) this.topics.delete(symbol);
    };
  }

  /** Number of symbols with at least one listener. */
  get topicCount(): number {
    return this.topics.size;
  }
}
