/**
 * The feed manager: ref counts per (symbol, channel) and the upstream lists they add up to.
 *
 * Each client interest is a lease on some symbols at some depth (0 = trades only). Per endpoint
 * the manager keeps the trade list = every symbol with a lease, and the depth list = every symbol
 * with a lease of depth ≥ 1 at the largest depth wanted (capped by the market maximum). When
 * demand for a symbol falls, what upstream holds lingers for `lingerMs` before it falls too, so
 * flapping clients do not churn the upstream. Pure logic: the upstream and the clock are injected.
 */
import type { SubscriptionLists } from './alltick/connection.js';
import { endpointOf, ENDPOINTS, maxDepthOf, type Endpoint } from './alltick/symbols.js';

/** Where the manager sends the lists it wants held upstream. */
export interface ListSink {
  setDesired(endpoint: Endpoint, lists: SubscriptionLists): void;
}

// the clock is the protocol client's (src/feed/alltick knows nothing of the manager); re-exported for the rest
import { systemClock, type Clock } from './alltick/clock.js';
export { systemClock, type Clock };

export interface FeedManagerOptions {
  sink: ListSink;
  lingerMs: number;
  /** symbols the upstream can hold per endpoint (connections × codes per subscription) */
  capacity: Record<Endpoint, number>;
  clock?: Clock;
}

export class CapacityError extends Error {
  override readonly name = 'CapacityError';
  constructor(
    readonly endpoint: Endpoint,
    readonly capacity: number,
    readonly symbols: string[],
  ) {
    super(`upstream capacity reached: the AllTick plan allows ${capacity} symbols on the ${endpoint} endpoint; cannot subscribe ${symbols.join(', ')}`);
  }
}

/** A symbol upstream refused (ret 600/603/604); the subscriptions that asked for it end with it. */
export class SymbolRejectedError extends Error {
  override readonly name = 'SymbolRejectedError';
  constructor(
    readonly symbol: string,
    /** AllTick's ret code */
    readonly ret: number,
    /** AllTick's message for that ret, e.g. "code unauthorized" */
    readonly reason: string,
  ) {
    super(`upstream rejected ${symbol}: ret ${ret} ${reason}`);
  }
}

export interface Lease {
  readonly symbols: readonly string[];
  readonly depth: number;
  /** Gives the interest back; safe to call more than once. */
  release(): void;
}

/** Told when a symbol of the lease fails upstream; the lease no longer holds that symbol. */
export type LeaseFailureHandler = (error: SymbolRejectedError) => void;

interface LeaseRecord {
  symbols: readonly string[];
  depth: number;
  onFailure: LeaseFailureHandler | undefined;
  /** symbols taken away by failSymbol: their refs are already gone */
  failed: Set<string>;
}

/** How long a rejected symbol is refused at once, without asking upstream again. */
export const REJECTED_SYMBOL_TTL_MS = 60_000;

interface Held {
  trades: boolean;
  depth: number;
}

interface SymbolState {
  /** leases per wanted depth (0 = trades only) */
  wants: Map<number, number>;
  /** what upstream is asked to hold: the wants, or more while lingering */
  held: Held;
  lingerTimer: unknown;
}

export class FeedManager {
  private readonly symbols = new Map<string, SymbolState>();
  private readonly dirty = new Set<Endpoint>();
  private flushQueued = false;
  private readonly clock: Clock;
  private readonly leases = new Set<LeaseRecord>();
  /** symbols upstream refused, and until when a new request for them is refused here */
  private readonly rejected = new Map<string, { error: SymbolRejectedError; until: number }>();

  constructor(private readonly opts: FeedManagerOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * Takes an interest in `symbols` at `depth`. Throws CapacityError, before changing anything,
   * when the plan cannot hold the new symbols.
   */
  acquire(symbols: readonly string[], depth: number, onFailure?: LeaseFailureHandler): Lease {
    const unique = [...new Set(symbols)];
    this.ensureNotRejected(unique);
    this.ensureCapacity(unique);
    for (const symbol of unique) {
      const state = this.stateOf(symbol);
      state.wants.set(depth, (state.wants.get(depth) ?? 0) + 1);
      this.update(symbol, state);
    }
    const record: LeaseRecord = { symbols: unique, depth, onFailure, failed: new Set() };
    this.leases.add(record);
    let released = false;
    return {
      symbols: unique,
      depth,
      release: () => {
        if (released) return;
        released = true;
        this.leases.delete(record);
        for (const symbol of unique) if (!record.failed.has(symbol)) this.releaseOne(symbol, depth);
      },
    };
  }

  /**
   * Upstream refuses `symbol`: it leaves the lists at once (no linger), every lease holding it
   * loses it and is told, and new requests for it are refused for a while, so clients asking
   * again do not make the upstream bisect again.
   */
  failSymbol(error: SymbolRejectedError): void {
    const { symbol } = error;
    this.rejected.set(symbol, { error, until: this.clock.now() + REJECTED_SYMBOL_TTL_MS });
    const state = this.symbols.get(symbol);
    if (state) {
      if (state.lingerTimer !== undefined) this.clock.clearTimeout(state.lingerTimer);
      this.symbols.delete(symbol);
      this.markDirty(endpointOf(symbol));
    }
    const holders = [...this.leases].filter((l) => l.symbols.includes(symbol) && !l.failed.has(symbol));
    for (const lease of holders) lease.failed.add(symbol);
    for (const lease of holders) lease.onFailure?.(error);
  }

  /** Symbols refused upstream within the last REJECTED_SYMBOL_TTL_MS. */
  rejectedSymbols(): SymbolRejectedError[] {
    this.forgetExpiredRejections();
    return [...this.rejected.values()].map((r) => r.error);
  }

  /** Number of live leases that include `symbol` (optionally at one depth). */
  refCount(symbol: string, depth?: number): number {
    const wants = this.symbols.get(symbol)?.wants;
    if (!wants) return 0;
    if (depth !== undefined) return wants.get(depth) ?? 0;
    let total = 0;
    for (const n of wants.values()) total += n;
    return total;
  }

  /** True while upstream is asked to hold `symbol` (wanted, or lingering). */
  holds(symbol: string): boolean {
    return this.symbols.has(symbol);
  }

  get leaseCount(): number {
    return this.leases.size;
  }

  /** Sum of ref counts over all symbols. */
  get totalRefs(): number {
    let total = 0;
    for (const symbol of this.symbols.keys()) total += this.refCount(symbol);
    return total;
  }

  /** The lists the manager currently wants upstream for an endpoint. */
  desired(endpoint: Endpoint): SubscriptionLists {
    const trades: string[] = [];
    const depth: { code: string; depth_level: number }[] = [];
    for (const [symbol, { held }] of this.symbols) {
      if (endpointOf(symbol) !== endpoint) continue;
      if (held.trades) trades.push(symbol);
      if (held.depth > 0) depth.push({ code: symbol, depth_level: Math.min(held.depth, maxDepthOf(symbol)) });
    }
    trades.sort();
    depth.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    return { trades, depth };
  }

  /** Drops every lingering symbol at once and empties nothing that is still wanted. */
  flushLinger(): void {
    for (const [symbol, state] of this.symbols) {
      if (state.lingerTimer !== undefined) this.endLinger(symbol, state);
    }
  }

  /** Forgets all interest (shutdown): every list becomes empty. */
  clear(): void {
    for (const state of this.symbols.values()) {
      if (state.lingerTimer !== undefined) this.clock.clearTimeout(state.lingerTimer);
    }
    this.symbols.clear();
    this.leases.clear();
    for (const endpoint of ENDPOINTS) this.dirty.add(endpoint);
    this.flush();
  }

  // -------------------------------------------------------------------------------------------

  private stateOf(symbol: string): SymbolState {
    let state = this.symbols.get(symbol);
    if (!state) {
      state = { wants: new Map(), held: { trades: false, depth: 0 }, lingerTimer: undefined };
      this.symbols.set(symbol, state);
    }
    return state;
  }

  private releaseOne(symbol: string, depth: number): void {
    const state = this.symbols.get(symbol);
    const count = state?.wants.get(depth);
    if (!state || !count) return;
    if (count === 1) state.wants.delete(depth);
    else state.wants.set(depth, count - 1);
    this.update(symbol, state);
  }

  private wanted(state: SymbolState): Held {
    let depth = 0;
    for (const d of state.wants.keys()) depth = Math.max(depth, d);
    return { trades: state.wants.size > 0, depth };
  }

  /** Raises what is held at once; lowers it only after the linger. */
  private update(symbol: string, state: SymbolState): void {
    const want = this.wanted(state);
    const held = state.held;
    const next: Held = { trades: held.trades || want.trades, depth: Math.max(held.depth, want.depth) };
    const lowering = next.trades !== want.trades || next.depth !== want.depth;
    if (lowering && state.lingerTimer === undefined) {
      state.lingerTimer = this.clock.setTimeout(() => this.endLinger(symbol, state), this.opts.lingerMs);
    } else if (!lowering && state.lingerTimer !== undefined) {
      this.clock.clearTimeout(state.lingerTimer);
      state.lingerTimer = undefined;
    }
    this.setHeld(symbol, state, next);
  }

  private endLinger(symbol: string, state: SymbolState): void {
    if (state.lingerTimer !== undefined) this.clock.clearTimeout(state.lingerTimer);
    state.lingerTimer = undefined;
    this.setHeld(symbol, state, this.wanted(state));
  }

  private setHeld(symbol: string, state: SymbolState, next: Held): void {
    const effective = (h: Held) => `${h.trades}:${Math.min(h.depth, maxDepthOf(symbol))}`;
    const changed = effective(state.held) !== effective(next);
    state.held = next;
    if (!next.trades && next.depth === 0 && state.wants.size === 0) this.symbols.delete(symbol);
    if (changed) this.markDirty(endpointOf(symbol));
  }

  /** Coalesces every change made in one turn of the event loop into one list update. */
  private markDirty(endpoint: Endpoint): void {
    this.dirty.add(endpoint);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    const endpoints = [...this.dirty];
    this.dirty.clear();
    for (const endpoint of endpoints) this.opts.sink.setDesired(endpoint, this.desired(endpoint));
  }

  private forgetExpiredRejections(): void {
    const now = this.clock.now();
    for (const [symbol, r] of this.rejected) if (r.until <= now) this.rejected.delete(symbol);
  }

  private ensureNotRejected(symbols: string[]): void {
    if (this.rejected.size === 0) return;
    this.forgetExpiredRejections();
    for (const symbol of symbols) {
      const r = this.rejected.get(symbol);
      if (r) throw r.error;
    }
  }

  private ensureCapacity(symbols: string[]): void {
    for (const endpoint of ENDPOINTS) {
      const fresh = symbols.filter((s) => endpointOf(s) === endpoint && !this.symbols.get(s)?.wants.size);
      if (fresh.length === 0) continue;
      const capacity = this.opts.capacity[endpoint];
      let held = 0;
      let wanted = 0;
      for (const [symbol, state] of this.symbols) {
        if (endpointOf(symbol) !== endpoint) continue;
        held++;
        if (state.wants.size > 0) wanted++;
      }
      const freshNotHeld = fresh.filter((s) => !this.symbols.has(s)).length;
      if (wanted + fresh.length > capacity) throw new CapacityError(endpoint, capacity, fresh);
      // Room exists only if lingering symbols make way: drop them now, oldest first.
      let excess = held + freshNotHeld - capacity;
      for (const [symbol, state] of this.symbols) {
        if (excess <= 0) break;
        if (endpointOf(symbol) !== endpoint || state.wants.size > 0 || fresh.includes(symbol)) continue;
        this.endLinger(symbol, state);
        excess--;
      }
    }
  }
}
