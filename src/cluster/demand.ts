/**
 * Demand: what each instance wants held upstream, shared through Redis.
 *
 * Every instance's feed manager hands its lists (ref counts and linger already applied) to a
 * DemandPublisher, which keeps them in `<prefix>demand:<instanceId>` with a TTL it refreshes, and
 * announces each change on `<prefix>demand-changed`. An instance that dies stops refreshing, so its
 * demand expires by itself. The owner reads every instance's key and holds the union upstream.
 */
import type { Redis } from 'ioredis';
import type { SubscriptionLists } from '../feed/alltick/connection.js';
import type { SymbolEntry } from '../feed/alltick/protocol.js';
import { ENDPOINTS, type Endpoint } from '../feed/alltick/symbols.js';
import type { ListSink } from '../feed/manager.js';
import type { Logger } from '../logger.js';
import type { ClusterKeys } from './keys.js';
import type { RedisLink } from './redis-link.js';
import { decodeJson, demandSchema, type Demand } from './wire.js';

export interface DemandTimings {
  /** TTL of an instance's demand key */
  ttlMs: number;
  /** how often an instance rewrites it */
  refreshMs: number;
}

/** A dead instance's demand is gone 10 s after its last refresh, at most 13 s after death (SPEC §6: 15 s). */
export const DEFAULT_DEMAND_TIMINGS: DemandTimings = { ttlMs: 10_000, refreshMs: 3_000 };

const emptyDemand = (): Demand => ({ stock: { trades: [], depth: [] }, quote: { trades: [], depth: [] } });

export class DemandPublisher implements ListSink {
  private demand: Demand = emptyDemand();
  private timer: NodeJS.Timeout | null = null;
  private writing = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: ClusterKeys,
    private readonly instanceId: string,
    private readonly timings: DemandTimings,
    private readonly logger: Logger,
    /** the cluster's symbol cap, kept equal to this demand on every write */
    private readonly reservations: { syncAll(): Promise<void> } | null = null,
  ) {
    // Redis may have restarted empty, or our key expired while it was away: write it again
    link.on('up', () => void this.write());
  }

  start(): void {
    this.timer = setInterval(() => void this.write(), this.timings.refreshMs);
    this.timer.unref();
    void this.write();
  }

  setDesired(endpoint: Endpoint, lists: SubscriptionLists): void {
    this.demand = { ...this.demand, [endpoint]: lists };
    void this.write();
  }

  /** The lists this instance wants (what it last handed to Redis or will). */
  get current(): Demand {
    return this.demand;
  }

  /** Deletes this instance's demand and tells the owner, so it drops what only we wanted now. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (!this.link.attached) return;
    try {
      await this.link.cmd.del(this.keys.demand(this.instanceId));
      await this.reservations?.syncAll();
      await this.link.cmd.publish(this.keys.demandChanged, this.instanceId);
    } catch (error) {
      this.logger.debug({ err: String(error) }, 'could not withdraw demand');
    }
  }

  /** Writes the current demand (coalescing calls made while a write is in flight); announces changes. */
  private async write(): Promise<void> {
    if (this.stopped || !this.link.attached) return;
    if (this.writing) {
      this.again = true;
      return;
    }
    this.writing = true;
    try {
      do {
        this.again = false;
        const json = JSON.stringify(this.demand);
        const previous = await this.link.cmd.set(this.keys.demand(this.instanceId), json, 'PX', this.timings.ttlMs, 'GET');
        await this.reservations?.syncAll();
        if (previous !== json) await this.link.cmd.publish(this.keys.demandChanged, this.instanceId);
      } while (this.again && !this.stopped);
    } catch (error) {
      this.logger.debug({ err: String(error) }, 'demand write failed; retried on the next refresh');
    } finally {
      this.writing = false;
    }
  }
}

/** Reads every live instance's demand and returns the union: all trade codes, the largest depth per code. */
export async function readDemandUnion(redis: Redis, keys: ClusterKeys): Promise<{ demand: Demand; instances: number }> {
  const demandKeys = new Set<string>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', keys.demandPattern, 'COUNT', 1000);
    cursor = next;
    for (const key of found) demandKeys.add(key);
  } while (cursor !== '0');
  if (demandKeys.size === 0) return { demand: emptyDemand(), instances: 0 };

  const values = await redis.mget([...demandKeys]);
  const parts: Demand[] = [];
  for (const value of values) {
    const demand = value === null ? null : decodeJson(demandSchema, value);
    if (demand) parts.push(demand);
  }
  return { demand: unionOf(parts), instances: parts.length };
}

export function unionOf(parts: readonly Demand[]): Demand {
  const result = emptyDemand();
  for (const endpoint of ENDPOINTS) {
    const trades = new Set<string>();
    const depth = new Map<string, number>();
    for (const part of parts) {
      for (const code of part[endpoint].trades) trades.add(code);
      for (const entry of part[endpoint].depth) depth.set(entry.code, Math.max(depth.get(entry.code) ?? 0, entry.depth_level ?? 1));
    }
    const byCode = (a: SymbolEntry, b: SymbolEntry) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
    result[endpoint] = {
      trades: [...trades].sort(),
      depth: [...depth].map(([code, depth_level]) => ({ code, depth_level })).sort(byCode),
    };
  }
  return result;
}
