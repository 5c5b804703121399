/**
 * The upstream lease: at most one instance holds `<prefix>owner` (SET NX PX), renews it with a
 * compare-and-renew script, and gets a fencing token (INCR) with every acquisition. The holder
 * gives up at once when a renewal fails, when Redis goes away, or when its last successful renewal
 * is about to run out locally: it must stop writing before anyone else can take over.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../logger.js';
import type { ClusterKeys } from './keys.js';
import type { RedisLink } from './redis-link.js';
import { clusterScripts, type ClusterScripts } from './scripts.js';

export interface LeaseTimings {
  /** lease TTL in Redis */
  ttlMs: number;
  /** how often the holder renews */
  renewMs: number;
  /** how often the others try to take it */
  acquireMs: number;
}

/** Takeover after a crash within ttl + acquire ≈ 6 s (SPEC §6: 10 s). */
export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { ttlMs: 5000, renewMs: 1500, acquireMs: 1000 };

/** Stop this long before the lease could expire in Redis (timer and network slack). */
const safetyMs = (t: LeaseTimings) => Math.min(500, t.ttlMs / 5);

export interface HeldLease {
  fence: number;
  /** the value stored in Redis: `<instanceId>:<fence>` */
  value: string;
}

export interface LeaseEvents {
  acquired: [HeldLease];
  lost: [HeldLease, reason: string];
}

export class OwnerLease extends EventEmitter<LeaseEvents> {
  private held: HeldLease | null = null;
  private readonly scripts: ClusterScripts;
  private tickTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private ticking = false;
  private stopped = true;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: ClusterKeys,
    readonly instanceId: string,
    readonly timings: LeaseTimings,
    private readonly logger: Logger,
  ) {
    super();
    this.scripts = clusterScripts(link.cmd);
    link.on('down', (reason) => this.lose(reason));
    link.on('up', () => this.schedule(0));
  }

  get current(): HeldLease | null {
    return this.held;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops trying; when holding, deletes the lease so another instance takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    const held = this.held;
    this.lose('stopping');
    if (held && this.link.attached) await this.scripts.releaseLease(this.keys.owner, held.value).catch(() => 0);
  }

  /** Gives the lease up locally at once (listeners stop writing); the key frees itself or is taken back. */
  lose(reason: string): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    const planned = reason === 'stopping' || reason === 'closing';
    this.logger[planned ? 'info' : 'warn']({ fence: held.fence, reason }, 'gave up the upstream lease');
    this.emit('lost', held, reason);
    this.schedule(this.timings.acquireMs);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.tickTimer = null;
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      if (this.link.attached) await (this.held ? this.renew(this.held) : this.acquire());
    } finally {
      this.ticking = false;
      this.schedule(this.held ? this.timings.renewMs : this.timings.acquireMs);
    }
  }

  private async acquire(): Promise<void> {
    const sentAt = Date.now();
    let fence: number | null;
    try {
      fence = await this.scripts.acquireLease(this.keys.owner, this.keys.fence, this.instanceId, this.timings.ttlMs);
    } catch (error) {
      this.logger.debug({ err: String(error) }, 'lease acquisition failed');
      return;
    }
    if (fence === null || this.stopped) return;
    const held = { fence, value: `${this.instanceId}:${fence}` };
    this.held = held;
    this.armExpiry(sentAt);
    this.logger.info({ fence }, 'took the upstream lease');
    this.emit('acquired', held);
  }

  private async renew(held: HeldLease): Promise<void> {
    const sentAt = Date.now();
    let renewed: number;
    try {
      renewed = await this.scripts.renewLease(this.keys.owner, held.value, this.timings.ttlMs);
    } catch (error) {
      if (this.held === held) this.lose(`lease renewal failed: ${String(error)}`);
      return;
    }
    if (this.held !== held) return;
    if (renewed === 1) this.armExpiry(sentAt);
    else this.lose('lease expired or taken over');
  }

  /** The lease surely lasts until `sentAt + ttl` in Redis; give it up locally a little before. */
  private armExpiry(sentAt: number): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    const ms = sentAt + this.timings.ttlMs - safetyMs(this.timings) - Date.now();
    this.expiryTimer = setTimeout(() => this.lose('lease renewal overdue'), Math.max(0, ms));
  }
}
