/**
 * The outgoing side of one WebSocket connection, shared by all its grouped subscriptions, and the
 * slow-consumer policy (README "Slow consumers").
 *
 * Frames are written without waiting: a connection whose `bufferedAmount` passes the budget is
 * *behind*. While behind, conflatable streams (quotes) hold back their events and keep only the
 * latest per symbol; when the connection drains below half the budget they send those latest
 * values, marked as conflated. Streams where every event matters keep writing; if the connection
 * stays behind longer than `evictMs`, or its buffer passes four times the budget, it is closed
 * with 4008 "slow consumer". Nothing here ever waits on a socket, so a slow client never delays
 * anyone else.
 */
import WebSocket from 'ws';

/** Close code sent to a client evicted for not reading fast enough. */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;
/** An evicted client that does not read its close frame within this time is dropped. */
export const EVICT_GRACE_MS = 2000;
/** Hard cap on a connection's buffer, as a multiple of the budget: past it, eviction is immediate. */
export const HARD_LIMIT_FACTOR = 4;
const CHECK_INTERVAL_MS = 25;

export interface SlowConsumerPolicy {
  /** a connection with more than this many bytes waiting to be sent is behind */
  bufferBytes: number;
  /** a behind connection carrying streams where every event matters is evicted after this long */
  evictMs: number;
}

/** Process-wide counters for metrics (monotonic). */
export const slowConsumerCounters = {
  /** updates a slow client never got because a later value of the same key replaced them */
  droppedUpdates: 0,
  /** times a connection fell behind its budget */
  fellBehind: 0,
  /** connections closed with SLOW_CONSUMER_CLOSE_CODE */
  evictions: 0,
};

/** A grouped subscription as its connection sees it. */
export interface OutboxMember {
  /** its events may be conflated (latest per key) when the connection falls behind */
  readonly conflatable: boolean;
  /** the connection caught up: send what was held back */
  flush(): void;
  /** the connection is being evicted: stop, without telling the client anything more */
  evicted(): void;
}

export class Outbox {
  readonly members = new Set<OutboxMember>();
  behind = false;
  private behindSince = 0;
  private closed = false;

  constructor(
    readonly socket: WebSocket,
    private readonly policy: SlowConsumerPolicy,
    private readonly watcher: BehindWatcher,
  ) {
    socket.once('close', () => {
      this.closed = true;
      this.watcher.forget(this);
    });
  }

  get open(): boolean {
    return !this.closed && this.socket.readyState === WebSocket.OPEN;
  }

  /** Writes a text frame now (never waits). */
  send(frame: string): void {
    if (!this.open) return;
    this.socket.send(frame);
    const buffered = this.socket.bufferedAmount;
    if (buffered <= this.policy.bufferBytes) return;
    if (!this.behind) this.fallBehind();
    else if (buffered > this.policy.bufferBytes * HARD_LIMIT_FACTOR && this.hasStrictMembers()) this.evict('send buffer full');
  }

  /** Called by the watcher while behind: catch up, or evict when stalled too long. */
  check(now: number): void {
    if (!this.open) return this.watcher.forget(this);
    const buffered = this.socket.bufferedAmount;
    if (buffered <= this.policy.bufferBytes / 2) {
      this.behind = false;
      this.watcher.forget(this);
      for (const member of this.members) {
        member.flush();
        if (this.behind) break; // fell behind again while flushing; the rest waits for the next drain
      }
      return;
    }
    if (!this.hasStrictMembers()) return; // quotes only: conflation keeps the buffer bounded
    if (now - this.behindSince >= this.policy.evictMs) this.evict(`not reading for ${now - this.behindSince} ms`);
    else if (buffered > this.policy.bufferBytes * HARD_LIMIT_FACTOR) this.evict('send buffer full');
  }

  private fallBehind(): void {
    this.behind = true;
    this.behindSince = Date.now();
    slowConsumerCounters.fellBehind++;
    this.watcher.watch(this);
  }

  private hasStrictMembers(): boolean {
    for (const member of this.members) if (!member.conflatable) return true;
    return false;
  }

  private evict(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher.forget(this);
    slowConsumerCounters.evictions++;
    this.socket.close(SLOW_CONSUMER_CLOSE_CODE, `slow consumer: ${why}`);
    // a peer that never reads would hold the socket (and its buffer) for ws's 30 s close timeout
    const drop = setTimeout(() => this.socket.terminate(), EVICT_GRACE_MS);
    drop.unref();
    this.socket.once('close', () => clearTimeout(drop));
    for (const member of [...this.members]) member.evicted();
  }
}

/** Polls the connections that are behind, on one shared timer that runs only while there are some. */
export class BehindWatcher {
  private readonly behind = new Set<Outbox>();
  private timer: NodeJS.Timeout | null = null;

  watch(outbox: Outbox): void {
    this.behind.add(outbox);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), CHECK_INTERVAL_MS);
      this.timer.unref();
    }
  }

  forget(outbox: Outbox): void {
    this.behind.delete(outbox);
    if (this.behind.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  get size(): number {
    return this.behind.size;
  }

  private tick(): void {
    const now = Date.now();
    for (const outbox of [...this.behind]) outbox.check(now);
  }
}
