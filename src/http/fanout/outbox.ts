/**
 * The outgoing side of one WebSocket connection, shared by all its grouped subscriptions, and the
 * slow-consumer policy (README "Slow consumers").
 *
 * Frames are written without waiting. The first frame a turn of the event loop writes to a
 * connection goes out at once (one system call, no wait for the rest of the turn's fan-out); from
 * the second on, the socket is corked until the turn ends, so under load many events share a
 * write. After a write that the kernel did not take whole, and at the end of a corked turn, a
 * connection whose `bufferedAmount` is over the budget is *behind*. While behind, conflatable
 * streams (quotes) hold back their events and keep only the latest per symbol; when the
 * connection drains below half the budget they send those latest
 * values, marked as conflated. Streams where every event matters keep writing; if the connection
 * stays behind longer than `evictMs`, or its buffer passes four times the budget, it is closed
 * with 4008 "slow consumer". Nothing here ever waits on a socket, so a slow client never delays
 * anyone else.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { DeliveryMetrics } from '../../metrics/delivery-metrics.js';
import { CloseCode } from '../../clients/close-codes.js';
import type { NextAddress, SharedPayload } from './frame.js';

/** Close code sent to a client evicted for not reading fast enough. */
export const SLOW_CONSUMER_CLOSE_CODE = CloseCode.SlowConsumer;
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
export const fanoutCounters = {
  /** `next` frames written by groups (graphql-ws's own onNext hook does not see these) */
  framesSent: 0,
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
  /** where this connection's drops and eviction are counted (the server's) */
  get metrics(): DeliveryMetrics {
    return this.pool.metrics;
  }
  private behindSince = 0;
  private corked = false;
  /** the pool's turn in which this connection last wrote a frame */
  private turn = -1;
  /** no extension (compression) was negotiated: finished frames may go straight to the TCP socket */
  private readonly plain: boolean;

  constructor(
    readonly socket: WebSocket,
    /** the TCP socket under `socket` (the upgrade request's), corked per turn */
    private readonly tcp: Socket,
    private readonly pool: OutboxPool,
  ) {
    this.plain = socket.extensions === '';
  }

  /** No listener on the socket for its end (one per connection adds up): a closed or evicted socket is not OPEN any more, and the watcher drops it. */
  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Queues a text message; it is written when the current turn ends (never waits). */
  send(text: string): void {
    if (!this.open) return;
    fanoutCounters.framesSent++;
    this.corkForTurn();
    this.socket.send(text);
  }

  /**
   * Queues a `next` frame of a shared payload, as bytes shared with every socket it goes to
   * (frame.ts). ws's sender holds nothing back on a connection without extensions, so writing to
   * the TCP socket keeps the order of everything sent; `bufferedAmount` still counts it.
   * Returns whether the frame was written (false: the connection is closed or closing).
   */
  sendNext(payload: SharedPayload, to: NextAddress): boolean {
    if (!this.open) return false;
    fanoutCounters.framesSent++;
    if (!this.plain) {
      this.corkForTurn();
      this.socket.send(`${to.head.toString()}${payload.text}}`);
      return true;
    }
    const pool = this.pool;
    if (this.turn === pool.turn)
      this.corkForTurn(); // a second frame in this turn: gather the rest into one write
    else {
      // the first frame of the turn goes out at once; a write the kernel did not take whole is checked at the turn's end
      this.turn = pool.openTurn();
      this.tcp.write(payload.frameFor(to));
      if (this.tcp.writableLength > 0) pool.uncorkAtEndOfTurn(this);
      return true;
    }
    this.tcp.write(payload.frameFor(to));
    return true;
  }

  private corkForTurn(): void {
    if (this.corked) return;
    this.corked = true;
    this.tcp.cork();
    this.pool.uncorkAtEndOfTurn(this);
  }

  /** End of the turn: write out what it queued, then see whether the client keeps up. */
  uncork(): void {
    if (this.corked) {
      this.corked = false;
      this.tcp.uncork();
    }
    if (!this.open) return;
    const buffered = this.socket.bufferedAmount;
    if (buffered <= this.policy.bufferBytes) return;
    if (!this.behind) this.fallBehind();
    else if (buffered > this.policy.bufferBytes * HARD_LIMIT_FACTOR && this.hasStrictMembers()) this.evict('send buffer full');
  }

  private get policy(): SlowConsumerPolicy {
    return this.pool.policy;
  }

  /** Called by the watcher while behind: catch up, or evict when stalled too long. */
  check(now: number): void {
    if (!this.open) return this.pool.watcher.forget(this);
    const buffered = this.socket.bufferedAmount;
    if (buffered <= this.policy.bufferBytes / 2) {
      this.behind = false;
      this.pool.watcher.forget(this);
      for (const member of this.members) member.flush(); // bounded: the latest event per key
      return;
    }
    if (!this.hasStrictMembers()) return; // quotes only: conflation keeps the buffer bounded
    if (now - this.behindSince >= this.policy.evictMs) this.evict(`not reading for ${now - this.behindSince} ms`);
    else if (buffered > this.policy.bufferBytes * HARD_LIMIT_FACTOR) this.evict('send buffer full');
  }

  private fallBehind(): void {
    this.behind = true;
    this.behindSince = Date.now();
    fanoutCounters.fellBehind++;
    this.pool.watcher.watch(this);
  }

  private hasStrictMembers(): boolean {
    for (const member of this.members) if (!member.conflatable) return true;
    return false;
  }

  private evict(why: string): void {
    if (!this.open) return;
    this.pool.watcher.forget(this);
    fanoutCounters.evictions++;
    this.pool.metrics.countEvicted('graphql-ws', 'slow-consumer');
    this.socket.close(SLOW_CONSUMER_CLOSE_CODE, `slow consumer: ${why}`);
    // a peer that never reads would hold the socket (and its buffer) for ws's 30 s close timeout
    const drop = setTimeout(() => this.socket.terminate(), EVICT_GRACE_MS);
    drop.unref();
    this.socket.once('close', () => clearTimeout(drop));
    for (const member of [...this.members]) member.evicted();
  }
}

/** The outboxes of one server: one per WebSocket, the policy they follow, and the timers they share. */
export class OutboxPool {
  readonly watcher = new BehindWatcher();
  private readonly outboxes = new WeakMap<WebSocket, Outbox>();
  private corked: Outbox[] = [];
  /** numbers the turns in which frames were written: an outbox knows whether it already wrote in this one */
  turn = 0;
  private turnOpen = false;

  constructor(
    readonly policy: SlowConsumerPolicy,
    readonly metrics: DeliveryMetrics,
  ) {}

  outboxFor(socket: WebSocket, tcp: Socket): Outbox {
    let outbox = this.outboxes.get(socket);
    if (!outbox) {
      outbox = new Outbox(socket, tcp, this);
      this.outboxes.set(socket, outbox);
    }
    return outbox;
  }

  /** The current turn, ended (next tick) after the current macrotask's synchronous fan-out. */
  openTurn(): number {
    if (!this.turnOpen) {
      this.turnOpen = true;
      process.nextTick(this.endTurn);
    }
    return this.turn;
  }

  /** Uncorks (and checks) at the end of the turn: every event of one upstream read shares a write. */
  uncorkAtEndOfTurn(outbox: Outbox): void {
    this.openTurn();
    this.corked.push(outbox);
  }

  private readonly endTurn = () => {
    this.turn++;
    this.turnOpen = false;
    const corked = this.corked;
    if (corked.length === 0) return;
    this.corked = [];
    for (const outbox of corked) outbox.uncork();
  };
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
