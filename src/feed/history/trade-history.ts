/**
 * The bounded per-symbol trade history behind `recentTrades` and resumed `trades` streams (SPEC
 * §4): each trade gets an id that orders the trades of its symbol; a history keeps at most
 * `maxTrades` per symbol, none older than `maxAgeMs`. One instance keeps it in memory (this
 * file); a cluster shares it in Redis (src/cluster/redis-history.ts), where the owner appends.
 */
import { randomBytes } from 'node:crypto';
import type { Trade } from '../alltick/protocol.js';
import { compareIds } from './cursor.js';

export interface HistoryLimits {
  /** trades kept per symbol */
  maxTrades: number;
  /** trades older than this (since they arrived) are dropped */
  maxAgeMs: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { maxTrades: 2000, maxAgeMs: 10 * 60_000 };

/** The trades of a symbol after a cursor, and whether the history still held everything after it. */
export interface Replay {
  trades: Trade[];
  /** false when trades after the cursor may have been dropped (or the cursor is from another history) */
  complete: boolean;
}

export interface TradeHistory {
  /** names the id space: a cursor of another epoch cannot be placed in this history */
  readonly epoch: string;
  readonly limits: HistoryLimits;
  /** true when every instance reads the same history (a cluster's, in Redis) */
  readonly shared: boolean;
  /** A trade the feed accepted. Single instance: stamps `trade.id` and keeps it. Cluster: the id came from Redis. */
  append(trade: Trade): void;
  /** The newest `limit` trades of `symbol`, oldest first. */
  recent(symbol: string, limit: number): Promise<Trade[]>;
  /** Every kept trade of `symbol` after `id` (all of them when null), oldest first. */
  since(symbol: string, id: string | null): Promise<Replay>;
}

interface Entry {
  trade: Trade;
  /** arrival, epoch ms */
  at: number;
}

class SymbolLog {
  /** entries[head..] are kept, oldest first (a queue without shifting on every trade) */
  private entries: Entry[] = [];
  private head = 0;
  /** ids handed out so far; kept when the entries go, so ids never repeat in this epoch */
  counter = 0;

  push(entry: Entry, limits: HistoryLimits): void {
    this.entries.push(entry);
    this.trim(entry.at, limits);
  }

  trim(now: number, { maxTrades, maxAgeMs }: HistoryLimits): void {
    while (this.size > maxTrades || (this.size > 0 && (this.entries[this.head] as Entry).at < now - maxAgeMs)) this.head++;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  trades(): Trade[] {
    return this.entries.slice(this.head).map((e) => e.trade);
  }

  last(n: number): Trade[] {
    return this.entries.slice(Math.max(this.head, this.entries.length - n)).map((e) => e.trade);
  }
}

export class MemoryTradeHistory implements TradeHistory {
  /** a fresh epoch per process: cursors from before a restart are out of reach, and say so */
  readonly epoch = randomBytes(6).toString('base64url');
  readonly shared = false;
  private readonly logs = new Map<string, SymbolLog>();

  constructor(
    readonly limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  append(trade: Trade): void {
    let log = this.logs.get(trade.symbol);
    if (!log) this.logs.set(trade.symbol, (log = new SymbolLog()));
    trade.id = String(++log.counter);
    log.push({ trade, at: this.now() }, this.limits);
  }

  recent(symbol: string, limit: number): Promise<Trade[]> {
    return Promise.resolve(this.current(symbol)?.last(limit) ?? []);
  }

  since(symbol: string, id: string | null): Promise<Replay> {
    return Promise.resolve(this.replay(symbol, id));
  }

  private replay(symbol: string, id: string | null): Replay {
    const log = this.current(symbol);
    if (!log) return { trades: [], complete: id !== null && Number(id) >= (this.logs.get(symbol)?.counter ?? 0) };
    const trades = log.trades();
    if (id === null) return { trades, complete: false };
    // ids are consecutive: the history reaches `id` when it holds the trade right after it (or nothing came since)
    const first = trades[0]?.id;
    const complete = first === undefined ? Number(id) >= log.counter : compareIds(first, id) <= 1;
    return { trades: trades.filter((t) => compareIds(t.id as string, id) > 0), complete };
  }

  /** The symbol's log with old trades dropped. */
  private current(symbol: string): SymbolLog | undefined {
    const log = this.logs.get(symbol);
    log?.trim(this.now(), this.limits);
    return log;
  }
}
