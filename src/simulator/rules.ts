/**
 * Pure subscription rules (alltick-protocol.md §3.1, §3.3, §3.4, §7.3): which codes of a 22002 /
 * 22004 list a connection keeps, with what depth, and the token-wide spacing tracker.
 */
import { Ret, type SymbolEntry } from '../feed/alltick/protocol.js';
import { endpointOf, marketOf, maxDepthOf, type Endpoint } from '../feed/alltick/symbols.js';
import type { DepthEntry } from './subscriptions.js';
import { catalogueEntry } from '../feed/alltick/catalogue.js';

/** A well-formed code that this endpoint serves (stocks on stock, everything else on quote-b). */
export function codeBelongsTo(code: string, endpoint: Endpoint): boolean {
  return marketOf(code) !== null && endpointOf(code) === endpoint;
}

/**
 * A code AllTick lists: the catalogue (src/feed/alltick/catalogue.ts, README "The simulator").
 * AllTick refuses anything else with ret 600, so a typo fails offline as it would in production.
 */
export function isKnownCode(code: string): boolean {
  return catalogueEntry(code) !== undefined;
}

/** A code this endpoint serves (and, with `catalogueOnly`, AllTick lists): what REST answers for, else ret 600. */
export function servesCode(code: string, { endpoint, catalogueOnly }: { endpoint: Endpoint; catalogueOnly: boolean }): boolean {
  return codeBelongsTo(code, endpoint) && (!catalogueOnly || isKnownCode(code));
}

export interface ListRules {
  endpoint: Endpoint;
  /** codes kept per list (plan cap) */
  cap: number;
  /** a malformed or other-endpoint code rejects the whole list with ret 600 */
  strict: boolean;
}

export type ListOutcome<T> = { ok: true; list: T[] } | { ok: false; ret: number };

/**
 * Strict: any bad code anywhere in the list → ret 600, nothing changes. Otherwise the list is cut
 * to the first `cap` entries ("only process the first N codes", §3.1), then bad codes and repeats
 * are dropped silently.
 */
function acceptList(entries: readonly SymbolEntry[], rules: ListRules): ListOutcome<SymbolEntry> {
  if (rules.strict && entries.some((e) => !codeBelongsTo(e.code, rules.endpoint))) return { ok: false, ret: Ret.CodeInvalid };
  const seen = new Set<string>();
  const list = entries.slice(0, rules.cap).filter((e) => {
    if (seen.has(e.code) || !codeBelongsTo(e.code, rules.endpoint)) return false;
    seen.add(e.code);
    return true;
  });
  return { ok: true, list };
}

export function acceptTradeList(entries: readonly SymbolEntry[], rules: ListRules): ListOutcome<string> {
  const r = acceptList(entries, rules);
  return r.ok ? { ok: true, list: r.list.map((e) => e.code) } : r;
}

/** Depth levels are clamped to min(depth_level || 1, market maximum) (§2.3.2, §3.4). */
export function acceptDepthList(entries: readonly SymbolEntry[], rules: ListRules): ListOutcome<DepthEntry> {
  const r = acceptList(entries, rules);
  return r.ok ? { ok: true, list: r.list.map((e) => ({ code: e.code, depth_level: clampDepth(e.code, e.depth_level) })) } : r;
}

export function clampDepth(code: string, requested: number | undefined): number {
  return Math.min(requested || 1, maxDepthOf(code));
}

/** When each token last sent a subscription request (22002/22004/22006), on any connection. */
export class TokenSpacing {
  private readonly last = new Map<string, number>();

  /** True when a subscription request at `at` comes sooner than `minGapMs` after the token's previous one. */
  violates(token: string, at: number, minGapMs: number): boolean {
    const prev = this.last.get(token);
    return prev !== undefined && at - prev < minGapMs;
  }

  note(token: string, at: number): void {
    this.last.set(token, at);
  }
}
