// The interface lives with the feed that uses it; src/bus/ holds its implementations (memory, Redis).
import type { SymbolSnapshot } from './cache.js';

/** Carries each symbol's new snapshot from the feed to the subscribers of that symbol. */
export interface Bus {
  publish(snapshot: SymbolSnapshot): void;
  /** Listens to one symbol; the returned function stops listening (idempotent). */
  subscribe(symbol: string, listener: (snapshot: SymbolSnapshot) => void): () => void;
}
