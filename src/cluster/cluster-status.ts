/**
 * Feed status in cluster mode (FeedStatusSource): the lease holder publishes its upstream status
 * on `<prefix>status` whenever it changes and as a heartbeat; every instance serves the latest one.
 * When Redis is away, or no owner has spoken for a lease TTL (it died; another takes over), the
 * status says so: not connected, each connection marked disconnected with the reason.
 */
import type { RestStatus } from '../feed/alltick/rest.js';
import type { FeedStatus, FeedStatusSource } from '../feed/status.js';
import type { Logger } from '../logger.js';
import type { ClusterKeys } from './keys.js';
import type { RedisLink } from './redis-link.js';
import { decodeJson, statusMessageSchema, type StatusMessage } from './wire.js';

export class ClusterStatus implements FeedStatusSource {
  private latest: StatusMessage | null = null;
  private receivedAt = 0;
  private readonly listeners = new Set<(status: FeedStatus) => void>();
  private lastShown = '';
  private seenConnected = false;
  private stopListening: (() => void) | null = null;
  private staleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: ClusterKeys,
    /** no word from the owner for this long means there is none */
    private readonly staleMs: number,
    private readonly logger: Logger,
    /** this instance's own REST client (each instance makes its own REST calls) */
    private readonly rest: { status(): RestStatus } | null = null,
  ) {}

  /** The REST client's status changed. */
  restChanged(): void {
    this.changed();
  }

  start(): void {
    this.stopListening = this.link.listen(this.keys.statusChannel, (text) => this.accept(text));
    this.link.on('up', this.onUp);
    this.link.on('down', this.onDown);
    this.staleTimer = setInterval(() => this.changed(), 1000);
    this.staleTimer.unref();
    if (this.link.attached) this.onUp();
  }

  stop(): void {
    this.stopListening?.();
    this.link.off('up', this.onUp);
    this.link.off('down', this.onDown);
    if (this.staleTimer) clearInterval(this.staleTimer);
    this.listeners.clear();
  }

  /**
   * Readiness: attached to Redis, and the shared upstream has been seen connected since. An owner
   * failover does not take instances out of a load balancer; losing Redis does.
   */
  get ready(): boolean {
    return this.link.attached && this.seenConnected;
  }

  status(): FeedStatus {
    const latest = this.latest;
    const reason = !this.link.attached ? 'Redis unavailable' : !latest || this.isStale() ? 'no upstream owner' : null;
    const rest = this.rest?.status() ?? null;
    if (latest && reason === null) return { ...latest.status, rest };
    return {
      connected: false,
      connections: (latest?.status.connections ?? []).map((c) => ({ ...c, state: 'disconnected' as const, reason, resubscribed: false })),
      rest,
    };
  }

  onStatusChange(listener: (status: FeedStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private readonly onUp = () => {
    this.link.cmd.get(this.keys.status).then(
      (text) => {
        if (text !== null) this.accept(text);
        else this.changed();
      },
      () => this.changed(),
    );
  };

  private readonly onDown = () => {
    this.seenConnected = false;
    this.changed();
  };

  private accept(text: string): void {
    const message = decodeJson(statusMessageSchema, text);
    if (!message) {
      this.logger.warn('invalid status message in Redis ignored');
      return;
    }
    this.latest = message;
    this.receivedAt = Date.now();
    if (message.status.connected && this.link.attached) this.seenConnected = true;
    this.changed();
  }

  private isStale(): boolean {
    return Date.now() - this.receivedAt > this.staleMs;
  }

  /** Tells listeners when what clients would see changed (the owner's heartbeats alone do not count). */
  private changed(): void {
    const status = this.status();
    const shown = JSON.stringify([status.connected, status.connections.map(({ lastMessageAt: _, ...rest }) => rest), status.rest]);
    if (shown === this.lastShown) return;
    this.lastShown = shown;
    for (const listener of this.listeners) listener(status);
  }
}
