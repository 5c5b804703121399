/**
 * Token-wide spacing of subscription requests: AllTick wants ≥ 3 s between subscribe requests
 * across all connections of one token (alltick-protocol.md §3.3). One gate is shared by every
 * connection of a token; each asks when its next request may go and marks when it sent one.
 */
import { TOKEN_SUBSCRIBE_SPACING_MS } from './plans.js';

export class RequestGate {
  private lastAt = -Infinity;

  constructor(readonly spacingMs: number = TOKEN_SUBSCRIBE_SPACING_MS) {}

  /** Earliest time (epoch ms) the next subscription request may be sent. */
  nextAt(): number {
    return this.lastAt + this.spacingMs;
  }

  mark(at: number = Date.now()): void {
    this.lastAt = at;
  }
}
