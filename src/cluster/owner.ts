/**
 * The owner role: while this instance holds the lease it runs the AllTick upstream, holds the union
 * of every instance's demand there (re-read on each demand-changed notice and periodically, which
 * also catches the demand of dead instances expiring), and sends every upstream event through the
 * fenced script into the shared cache and onto the symbol's channel. When the lease goes, it stops
 * writing at once and closes its upstream connections; the next owner opens its own.
 */
import type { Redis } from 'ioredis';
import type { AllTickUpstream } from '../feed/upstream.js';
import { ENDPOINTS } from '../feed/alltick/symbols.js';
import type { Logger } from '../logger.js';
import { readDemandUnion } from './demand.js';
import type { ClusterKeys } from './keys.js';
import type { HeldLease, OwnerLease } from './lease.js';
import type { RedisLink } from './redis-link.js';
import { clusterScripts, type ClusterScripts } from './scripts.js';
import type { SharedCache } from './shared-cache.js';
import { decodeJson, statusMessageSchema, type Rejection, type StatusMessage } from './wire.js';
import { RET_MESSAGES } from '../feed/alltick/protocol.js';

export interface UpstreamOwnerOptions {
  link: RedisLink;
  keys: ClusterKeys;
  lease: OwnerLease;
  upstream: AllTickUpstream;
  cache: SharedCache;
  logger: Logger;
  /** how often the union of demand is re-read even without a notice */
  reconcileMs: number;
  /** how often the status is re-published as a heartbeat; its TTL in Redis */
  statusHeartbeatMs: number;
  statusTtlMs: number;
  /** how long a graceful stop gives an emptied list to reach AllTick */
  settleMs: number;
}

export class UpstreamOwner {
  private active: HeldLease | null = null;
  private readonly scripts: ClusterScripts;
  private timers: NodeJS.Timeout[] = [];
  private stopDemandNotices: (() => void) | null = null;
  /** upstream start/stop run one after another, never overlapping */
  private upstreamOps: Promise<void> = Promise.resolve();
  private reconciling = false;
  /** a graceful stop has begun: the lists no longer follow the demand */
  private stopping = false;
  private reconcileAgain = false;
  private shownUnion = '';
  private readonly redis: Redis;

  constructor(private readonly opts: UpstreamOwnerOptions) {
    this.redis = opts.link.cmd;
    this.scripts = clusterScripts(this.redis);
    opts.lease.on('acquired', (held) => this.take(held));
    opts.lease.on('lost', (held, reason) => this.resign(held, reason));
    opts.upstream.on('event', (event) => {
      const held = this.active;
      if (!held) return;
      opts.cache.publish(held, event).then(
        (outcome) => {
          if (outcome === 'fenced-out' && this.active === held) opts.lease.lose('fenced out: another instance holds the lease');
        },
        (error: unknown) => opts.logger.debug({ err: String(error) }, 'event publish failed'),
      );
    });
    opts.upstream.on('status', () => void this.publishStatus());
    opts.upstream.on('lists', () => void this.publishStatus()); // feedStatus on every instance shows lists and waits
    // a code AllTick refuses: every instance ends the subscriptions that want it
    opts.upstream.on('codeRejected', ({ code, error }) => {
      if (!this.active) return;
      const rejection: Rejection = { code, ret: error.ret, reason: (RET_MESSAGES[error.ret] ?? 'rejected').slice(0, 200) };
      this.redis.publish(opts.keys.rejections, JSON.stringify(rejection)).catch(() => undefined);
    });
  }

  get isOwner(): boolean {
    return this.active !== null;
  }

  /**
   * Graceful stop (this instance's own demand is already withdrawn). While other instances run,
   * the lists stay as they are (the clients leaving here come back there, and the next owner
   * lays the union over them); with none left they are emptied upstream first. Events keep
   * flowing into Redis until the sockets are closed; the close is recorded (the next owner waits
   * the plan's gap from it) and only then is the lease freed.
   */
  async stop(): Promise<void> {
    const held = this.active;
    if (held) {
      this.stopping = true;
      this.stopFollowingDemand();
      let othersRun = true;
      try {
        othersRun = (await readDemandUnion(this.redis, this.opts.keys)).instances > 0;
      } catch {
        // keep the lists: the next owner takes them over
      }
      if (!othersRun) for (const endpoint of ENDPOINTS) this.opts.upstream.setDesired(endpoint, { trades: [], depth: [] });
      await this.closeUpstream(othersRun ? 0 : this.opts.settleMs);
      this.deactivate();
    }
    await this.opts.lease.stop();
    await this.upstreamOps;
  }

  private take(held: HeldLease): void {
    this.active = held;
    this.opts.logger.info({ fence: held.fence }, 'this instance now owns the AllTick upstream');
    this.stopDemandNotices = this.opts.link.listen(this.opts.keys.demandChanged, () => void this.reconcile());
    this.timers.push(setInterval(() => void this.reconcile(), this.opts.reconcileMs));
    this.timers.push(setInterval(() => void this.publishStatus(), this.opts.statusHeartbeatMs));
    void this.takeOverLists(held).then(() => this.reconcile());
    // each connection waits for the socket gate: the previous owner's sockets closed, then the plan's gap
    this.upstreamOps = this.upstreamOps.then(() => {
      if (this.active !== held) return;
      this.opts.upstream.start();
      void this.reconcile(); // starts any further connection the lists need
      void this.publishStatus();
    });
  }

  /**
   * Starts from the lists the previous owner held (its last status), so the union is laid over
   * them: what was served stays served, whatever the order of the codes.
   */
  private async takeOverLists(held: HeldLease): Promise<void> {
    let text: string | null;
    try {
      text = await this.redis.get(this.opts.keys.status);
    } catch {
      return;
    }
    const previous = text === null ? null : decodeJson(statusMessageSchema, text);
    if (!previous || previous.fence >= held.fence || this.active !== held) return;
    for (const endpoint of ENDPOINTS) {
      const connections = previous.status.connections.filter((c) => c.endpoint === endpoint);
      const trades = [...new Set(connections.flatMap((c) => c.trades))].sort();
      const depth = [...new Set(connections.flatMap((c) => c.depth))].sort().map((code) => ({ code, depth_level: 1 }));
      if (trades.length > 0 || depth.length > 0) this.opts.upstream.setDesired(endpoint, { trades, depth });
    }
  }

  private resign(held: HeldLease, reason: string): void {
    if (this.active !== held) return;
    this.opts.logger.warn({ fence: held.fence, reason }, 'no longer the upstream owner: closing the AllTick connections');
    this.deactivate();
    void this.closeUpstream(0);
  }

  private deactivate(): void {
    this.active = null;
    this.stopFollowingDemand();
    this.shownUnion = '';
  }

  /** Stops re-reading the demand and re-publishing the status (events still go out while active). */
  private stopFollowingDemand(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.stopDemandNotices?.();
    this.stopDemandNotices = null;
  }

  private closeUpstream(settleMs: number): Promise<void> {
    this.upstreamOps = this.upstreamOps.then(async () => {
      await this.opts.upstream.stopAndForget(settleMs);
    });
    return this.upstreamOps;
  }

  /** Holds the union of all instances' demand upstream; calls during a read are folded into one more read. */
  private async reconcile(): Promise<void> {
    if (this.reconciling) {
      this.reconcileAgain = true;
      return;
    }
    this.reconciling = true;
    try {
      do {
        this.reconcileAgain = false;
        const held = this.active;
        if (!held || this.stopping) return;
        const { demand, instances } = await readDemandUnion(this.redis, this.opts.keys);
        if (this.active !== held || this.stopping) return;
        for (const endpoint of ENDPOINTS) this.opts.upstream.setDesired(endpoint, demand[endpoint]);
        const shown = JSON.stringify(demand);
        if (shown !== this.shownUnion) {
          this.shownUnion = shown;
          for (const endpoint of ENDPOINTS) {
            // the cluster's symbol cap keeps this from happening; were it to, what is held stays held
            const capacity = this.opts.upstream.capacity[endpoint];
            const wanted = demand[endpoint].trades.length;
            if (wanted > capacity)
              this.opts.logger.warn({ endpoint, wanted, capacity }, 'demand of all instances exceeds the plan: the newest symbols are left out');
          }
          this.opts.logger.info(
            { instances, stock: demand.stock.trades.length, quote: demand.quote.trades.length },
            'upstream lists follow the demand of all instances',
          );
          void this.publishStatus(); // feedStatus shows the lists
        }
      } while (this.reconcileAgain);
    } catch (error) {
      this.opts.logger.debug({ err: String(error) }, 'reading the demand failed; retried shortly');
    } finally {
      this.reconciling = false;
    }
  }

  private async publishStatus(): Promise<void> {
    const held = this.active;
    if (!held || !this.opts.link.attached) return;
    const { connected, connections } = this.opts.upstream.status();
    const message: StatusMessage = { fence: held.fence, owner: this.opts.lease.instanceId, status: { connected, connections } };
    try {
      const result = await this.scripts.publishStatus(
        this.opts.keys.owner,
        this.opts.keys.status,
        held.value,
        JSON.stringify(message),
        this.opts.statusTtlMs,
        this.opts.keys.statusChannel,
      );
      if (result === -1 && this.active === held) this.opts.lease.lose('fenced out: another instance holds the lease');
    } catch (error) {
      this.opts.logger.debug({ err: String(error) }, 'status publish failed');
    }
  }
}
