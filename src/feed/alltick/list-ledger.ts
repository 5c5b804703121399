/**
 * What one connection's lists stand at upstream, and what to send next after an answer. AllTick
 * keeps the previous list when it rejects a subscribe, so the ledger remembers the last
 * acknowledged lists; a code-level rejection (600/603/604) runs a culprit search per list type,
 * whose held-back codes and culprits are left out of the lists sent; "too many requests" (605)
 * makes list requests wait, doubling, before the next try.
 */
import type { AllTickError } from './errors.js';
import { CODE_LEVEL_RETS, CulpritSearch } from './culprit-search.js';
import type { SymbolEntry } from './protocol.js';

export interface Lists {
  trades: string[];
  depth: SymbolEntry[];
}

export type ListChannel = 'trades' | 'depth';

/** A code isolated as the cause of a rejection, with the rejection that started the search. */
export interface Culprit {
  code: string;
  channel: ListChannel;
  error: AllTickError;
}

const MAX_RETRY_WAIT_MS = 30_000;

export class ListLedger {
  /** what upstream acknowledged on the current socket */
  acked: Lists = { trades: [], depth: [] };
  /** list requests wait until then after a "too many requests" answer */
  retryAt = 0;
  private retries = 0;
  private readonly searches = { trades: new CulpritSearch(), depth: new CulpritSearch() };
  private readonly causes: Partial<Record<ListChannel, AllTickError>> = {};

  constructor(private readonly spacingMs: number) {}

  /** A new socket holds nothing. */
  reset(): void {
    this.acked = { trades: [], depth: [] };
  }

  /** Forgets culprits that are no longer wanted. */
  prune(desired: Lists): void {
    this.searches.trades.prune(desired.trades);
    this.searches.depth.prune(desired.depth.map((e) => e.code));
  }

  /** The desired lists less what a culprit search keeps out: what to send. */
  target(desired: Lists): Lists {
    return {
      trades: this.searches.trades.filter(desired.trades, (c) => c),
      depth: this.searches.depth.filter(desired.depth, (e) => e.code),
    };
  }

  /** Upstream acknowledged `lists` (after a subscribe of `channel`, or a cancel when channel is null). */
  accepted(channel: ListChannel | null, lists: Lists, codes: readonly string[]): Culprit | null {
    this.retries = 0;
    this.acked = lists;
    if (!channel) return null;
    const code = this.searches[channel].accepted(codes);
    return code ? this.culprit(code, channel) : null;
  }

  /** Upstream rejected a subscribe of `channel` carrying `codes`; it still holds `acked`. */
  rejected(channel: ListChannel, codes: readonly string[], error: AllTickError): Culprit | null {
    if (CODE_LEVEL_RETS.has(error.ret)) {
      this.causes[channel] = error;
      const code = this.searches[channel].rejected(codes);
      return code ? this.culprit(code, channel) : null;
    }
    this.retries++;
    this.retryAt = Date.now() + Math.min(MAX_RETRY_WAIT_MS, this.spacingMs * 2 ** Math.min(this.retries, 10));
    return null;
  }

  private culprit(code: string, channel: ListChannel): Culprit {
    return { code, channel, error: this.causes[channel] as AllTickError };
  }
}
