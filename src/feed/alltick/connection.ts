/**
 * One WebSocket connection to one AllTick endpoint. It owns the conduct AllTick demands
 * (alltick-protocol.md §3): every request ≥ 1 s apart, subscription requests spaced token-wide,
 * a heartbeat every 10 s, reconnect with backoff never sooner than the plan's gap, and the full
 * trade and depth lists re-sent after every reconnect. Callers only say which lists they want
 * (`setLists`); each list that differs from what upstream holds waits for a slot of the token's
 * subscribe scheduler (subscribe-scheduler.ts), which sends its latest wanted state when its turn
 * comes, so changes are coalesced and no list starves another.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import {
  CancelType,
  Cmd,
  decodeServerFrame,
  DEFAULT_TICK_TIME_WINDOW,
  type TickTimeWindow,
  MAX_SEQ_ID,
  Ret,
  type MarketEvent,
  type RequestCmd,
  type SymbolEntry,
} from './protocol.js';
import { ENDPOINT_PATHS, type Endpoint } from './symbols.js';
import { HEARTBEAT_INTERVAL_MS, REQUEST_SPACING_MS, type Plan } from './plans.js';
import { AllTickError, redactToken } from './errors.js';
import { SubscribeScheduler } from './subscribe-scheduler.js';
import { systemClock } from './clock.js';
import { ListLedger } from './list-ledger.js';
import type { LogSink } from '../../logger.js';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface ConnectionStatus {
  endpoint: Endpoint;
  index: number;
  state: ConnectionState;
  /** why the connection is not connected, when it is not */
  reason?: string;
  /** true once the current lists are acknowledged after a (re)connect */
  resubscribed?: boolean;
  since: number;
  reconnects: number;
  /** when the last frame of any kind arrived on this connection (epoch ms) */
  lastMessageAt: number | null;
  /** the latest error AllTick answered on this connection (a ret other than 200, or an HTTP status at connect) */
  lastError: UpstreamErrorInfo | null;
}

export interface UpstreamErrorInfo {
  ret: number;
  message: string;
  at: number;
  /** the request that failed: connect, heartbeat, trade, depth, cancel, connection */
  operation: string;
  /** the codes of a rejected subscribe request */
  codes: string[];
}

/** A code upstream refuses (found by bisecting a rejected list); it is no longer sent. */
export interface CodeRejection {
  code: string;
  error: AllTickError;
  channel: 'trades' | 'depth';
}

export interface SubscriptionLists {
  trades: string[];
  depth: SymbolEntry[];
}

export interface RejectedRequest {
  error: AllTickError;
  /** the codes of the rejected subscribe request (empty for heartbeats and cancels) */
  codes: string[];
  channel: 'trades' | 'depth' | 'other';
}

export interface ConnectionEvents {
  event: [MarketEvent];
  status: [ConnectionStatus];
  /** the wanted lists, or which of them wait for a subscribe slot, changed (feedStatus shows both) */
  lists: [];
  rejected: [RejectedRequest];
  codeRejected: [CodeRejection];
  invalidFrame: [reason: string];
}

export type Logger = LogSink;

/**
 * Cluster mode: the token's connection rules across instances (src/cluster/socket-gate.ts). A
 * socket opens only once `waitToOpen` says so, and every close is reported.
 */
export interface SocketGate {
  /** Resolves true when a socket of this endpoint and index may open now, false to give up (no longer the owner). */
  waitToOpen(endpoint: Endpoint, index: number, cancelled: () => boolean): Promise<boolean>;
  /** A socket closed (or never opened after its claim): the plan's gap restarts. */
  closed(endpoint: Endpoint, index: number): Promise<void>;
}

export interface ConnectionOptions {
  /** base of the WebSocket endpoints, e.g. wss://quote.alltick.co */
  wsBaseUrl: string;
  endpoint: Endpoint;
  token: string;
  plan: Plan;
  /** position of this connection among the endpoint's connections */
  index?: number;
  /** the token's subscribe budget, shared by all its connections; default: one of its own, without a token-wide gap */
  scheduler?: SubscribeScheduler;
  /** cluster mode: when a socket may open, shared by every instance */
  socketGate?: SocketGate;
  heartbeatIntervalMs?: number;
  requestSpacingMs?: number;
  ackTimeoutMs?: number;
  /** minimum gap between a close and the next connect; defaults to the plan's */
  reconnectGapMs?: number;
  maxBackoffMs?: number;
  /** pushes stamped outside this window of now are dropped as invalid frames */
  tickTimeWindow?: TickTimeWindow;
  logger?: Logger;
}

interface PendingAck {
  cmd: RequestCmd;
  codes: string[];
  channel: RejectedRequest['channel'];
  timer: NodeJS.Timeout;
  /** the list a subscribe request carried, to remember once acknowledged */
  list?: SubscriptionLists;
}

const CMD_NAMES: Record<RequestCmd, string> = {
  [Cmd.Heartbeat]: 'heartbeat',
  [Cmd.SubscribeDepth]: 'depth',
  [Cmd.SubscribeTrade]: 'trade',
  [Cmd.Cancel]: 'cancel',
};

/** Answers that refuse the connection itself rather than a request's codes. */
const CONNECTION_REFUSALS = new Set<number>([Ret.TokenInvalid, Ret.TooManyRequests, Ret.TooManyRequestsClosed]);

const sameTrades = (a: string[], b: string[]) => a.length === b.length && a.every((c, i) => c === b[i]);
const sameDepth = (a: SymbolEntry[], b: SymbolEntry[]) =>
  a.length === b.length && a.every((e, i) => e.code === b[i]?.code && e.depth_level === b[i]?.depth_level);

export class AllTickConnection extends EventEmitter<ConnectionEvents> {
  readonly endpoint: Endpoint;
  readonly index: number;
  private readonly opts: Required<Omit<ConnectionOptions, 'scheduler' | 'socketGate' | 'logger' | 'index'>> & Pick<ConnectionOptions, 'socketGate' | 'logger'>;
  private readonly scheduler: SubscribeScheduler;

  private ws: WebSocket | null = null;
  /** the socket is open; the connection counts as up (`connected`) only once upstream acknowledges a request on it */
  private socketOpen = false;
  /** the last socket's close, reported to the socket gate */
  private closeReported: Promise<void> = Promise.resolve();
  /** bumped by every connect, so a wait for the socket gate that outlived its attempt opens nothing */
  private attempt = 0;
  private state: ConnectionState = 'idle';
  private stateSince = Date.now();
  private reason: string | undefined;
  private reconnects = 0;
  private failedAttempts = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pumpTimer: NodeJS.Timeout | null = null;

  private desired: SubscriptionLists = { trades: [], depth: [] };
  /** what the current socket has been sent; reset on every new socket */
  private sent: SubscriptionLists = { trades: [], depth: [] };
  private resubscribed = false;
  private lastRequestAt = 0;
  private lastMessageAt: number | null = null;
  private lastHeartbeatAt = 0;
  private seqId = Math.floor(Math.random() * 1e9) + 1;
  private readonly pending = new Map<number, PendingAck>();
  /** acknowledged lists, culprit searches, retry waits */
  private readonly ledger: ListLedger;
  private lastError: UpstreamErrorInfo | null = null;

  readonly counters = { framesIn: 0, invalidFrames: 0, requestsSent: 0, rejected: 0 };

  constructor(options: ConnectionOptions) {
    super();
    this.endpoint = options.endpoint;
    this.index = options.index ?? 0;
    this.opts = {
      heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
      requestSpacingMs: REQUEST_SPACING_MS,
      ackTimeoutMs: 10_000,
      reconnectGapMs: options.plan.reconnectGapMs,
      maxBackoffMs: 60_000,
      tickTimeWindow: DEFAULT_TICK_TIME_WINDOW,
      ...options,
    };
    this.ledger = new ListLedger(this.opts.requestSpacingMs);
    this.scheduler = options.scheduler ?? new SubscribeScheduler(0, systemClock);
  }

  /** This connection's list `channel` in the scheduler. */
  listKey(channel: 'trades' | 'depth'): string {
    return `${this.endpoint}-${this.index}:${channel}`;
  }

  get status(): ConnectionStatus {
    return {
      endpoint: this.endpoint,
      index: this.index,
      state: this.state,
      ...(this.reason !== undefined && { reason: this.reason }),
      resubscribed: this.resubscribed,
      since: this.stateSince,
      reconnects: this.reconnects,
      lastMessageAt: this.lastMessageAt,
      lastError: this.lastError,
    };
  }

  get lists(): SubscriptionLists {
    return this.desired;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.connect();
  }

  /** The lists this connection should hold upstream; changes are coalesced by the send loop. */
  setLists(lists: SubscriptionLists): void {
    this.desired = { trades: [...lists.trades], depth: lists.depth.map((e) => ({ ...e })) };
    this.ledger.prune(this.desired);
    this.schedulePump(0);
    this.emit('lists');
  }

  /** True when upstream holds exactly the desired lists (all sent; acks may be in flight). */
  get inSync(): boolean {
    const target = this.target;
    return this.state === 'connected' && sameTrades(this.sent.trades, target.trades) && sameDepth(this.sent.depth, target.depth);
  }

  /** The desired lists less the codes a culprit search keeps out: what the send loop sends. */
  private get target(): SubscriptionLists {
    return this.ledger.target(this.desired);
  }

  /**
   * Resolves once upstream holds the desired lists and every list request is acknowledged, or
   * the connection is down, or `timeoutMs` passed. Used to empty the lists politely on shutdown.
   */
  async settle(timeoutMs: number): Promise<void> {
    const settled = () => !this.socketOpen || (this.inSync && ![...this.pending.values()].some((p) => p.cmd !== Cmd.Heartbeat));
    const deadline = Date.now() + timeoutMs;
    while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  async stop(): Promise<void> {
    this.setState('stopped', 'stopped');
    this.clearTimers();
    this.leaveScheduler();
    const ws = this.ws;
    this.ws = null;
    this.socketOpen = false;
    if (ws) {
      await new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close(1000, 'client stopping');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000).unref();
      });
    }
    await this.closeReported; // the cluster knows the gap starts now
  }

  // -------------------------------------------------------------------------------------------
  // Connecting and reconnecting

  private get url(): string {
    return `${this.opts.wsBaseUrl.replace(/\/$/, '')}${ENDPOINT_PATHS[this.endpoint].ws}?token=${encodeURIComponent(this.opts.token)}`;
  }

  /** Opens a socket once the socket gate (cluster mode) allows; the connection stays `connecting` meanwhile. */
  private connect(): void {
    this.reconnectTimer = null;
    this.setState('connecting');
    const attempt = ++this.attempt;
    const gate = this.opts.socketGate;
    if (!gate) return this.open();
    const cancelled = () => this.state === 'stopped' || attempt !== this.attempt;
    gate.waitToOpen(this.endpoint, this.index, cancelled).then(
      (claimed) => {
        if (claimed && !cancelled()) this.open();
        else if (claimed) this.closeReported = gate.closed(this.endpoint, this.index);
      },
      (error: unknown) => this.opts.logger?.warn({ endpoint: this.endpoint, err: String(error) }, 'socket gate failed'),
    );
  }

  private open(): void {
    const ws = new WebSocket(this.url, { perMessageDeflate: false, handshakeTimeout: this.opts.ackTimeoutMs });
    this.ws = ws;
    this.socketOpen = false;
    this.sent = { trades: [], depth: [] };
    this.ledger.reset();
    this.resubscribed = false;
    const gate = this.opts.socketGate;
    if (gate) ws.once('close', () => void (this.closeReported = gate.closed(this.endpoint, this.index)));

    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.socketOpen = true;
      this.lastRequestAt = 0;
      // the first request proves the connection: the lists if any, else a heartbeat at once
      const target = this.target;
      this.lastHeartbeatAt = target.trades.length > 0 || target.depth.length > 0 ? Date.now() : -Infinity;
      this.schedulePump(0);
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws) return;
      // binaryType is 'nodebuffer': ws hands over one Buffer per message
      this.onFrame(isBinary ? '' : (data as Buffer).toString());
    });
    ws.on('unexpected-response', (_req, res) => {
      // Rejected at the upgrade: 401 bad token, 429 too many connections or requests.
      const status = res.statusCode ?? 0;
      this.report(new AllTickError(status, this.redact(res.statusMessage || `HTTP ${status}`), 'connect'), [], 'other');
      if (status === Ret.TokenInvalid) this.failedAttempts += 3; // a bad token will not fix itself soon
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => {
      this.opts.logger?.debug({ endpoint: this.endpoint, err: redactToken(err.message, this.opts.token) }, 'upstream socket error');
    });
    ws.on('close', (code, reasonBuf) => {
      if (this.ws !== ws) return;
      this.ws = null;
      const reason = reasonBuf.toString() || `close ${code}`;
      this.onClosed(this.reason ?? reason);
    });
  }

  private onClosed(reason: string): void {
    this.clearTimers();
    this.failPending();
    this.leaveScheduler();
    this.resubscribed = false;
    this.socketOpen = false;
    if (this.state === 'stopped') return;
    this.setState('disconnected', redactToken(reason, this.opts.token));
    const delay = this.backoffDelay();
    this.failedAttempts++;
    this.reconnects++;
    this.opts.logger?.info({ endpoint: this.endpoint, index: this.index, reason: this.reason, retryInMs: delay }, 'upstream disconnected');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /**
   * Exponential backoff with jitter, never below the plan's minimum reconnect gap. Upstream sees the
   * close before we do (or after, by its own clock), so the floor carries the same margin as spacing.
   */
  private backoffDelay(): number {
    const gap = this.opts.reconnectGapMs;
    const exp = Math.min(this.opts.maxBackoffMs, gap * 2 ** Math.min(this.failedAttempts, 10));
    const jittered = exp * (0.75 + Math.random() * 0.5);
    return Math.max(gap + jitterMargin(gap), Math.round(jittered));
  }

  /** Closes the socket because it misbehaved; the close handler reconnects. */
  private drop(reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    this.reason = reason;
    this.ws = null;
    this.socketOpen = false;
    ws.terminate();
    this.onClosed(reason);
  }

  // -------------------------------------------------------------------------------------------
  // Incoming frames

  private onFrame(text: string): void {
    this.counters.framesIn++;
    this.lastMessageAt = Date.now();
    const frame = decodeServerFrame(text, this.opts.tickTimeWindow);
    if (frame.type === 'invalid') {
      this.counters.invalidFrames++;
      this.emit('invalidFrame', frame.reason);
      this.opts.logger?.warn({ endpoint: this.endpoint, reason: frame.reason }, 'invalid upstream frame dropped');
      return;
    }
    if (frame.type === 'push') {
      this.emit('event', frame.event);
      return;
    }
    const ack = frame.ack;
    const pending = this.pending.get(ack.seq_id);
    if (pending && ack.cmd_id === pending.cmd + 1) {
      clearTimeout(pending.timer);
      this.pending.delete(ack.seq_id);
      // up once upstream answers a request on this socket, not at the upgrade (a 606'd socket never is)
      if (this.state === 'connecting' && !CONNECTION_REFUSALS.has(ack.ret)) this.setState('connected');
      if (ack.ret !== Ret.Ok) {
        const error = new AllTickError(ack.ret, this.redact(ack.msg), CMD_NAMES[pending.cmd]);
        this.report(error, pending.codes, pending.channel);
        this.onListRejected(pending, error);
      } else {
        if (pending.cmd === Cmd.Heartbeat) this.failedAttempts = 0; // healthy: next reconnect starts from the minimum gap
        this.onListAccepted(pending);
      }
      this.checkResubscribed();
      return;
    }
    if (ack.ret !== Ret.Ok) {
      // An unsolicited error such as `ret 401 token invalid` or `606` before a close.
      this.report(new AllTickError(ack.ret, this.redact(ack.msg), 'connection'), [], 'other');
      if (ack.ret === Ret.TokenInvalid) this.failedAttempts += 3;
    }
  }

  /** Upstream text may echo anything, the token included: cut it out and keep it short. */
  private redact(text: string): string {
    return redactToken(text, this.opts.token).slice(0, 200);
  }

  private report(error: AllTickError, codes: string[], channel: RejectedRequest['channel']): void {
    this.counters.rejected++;
    this.reason = error.message;
    this.lastError = { ret: error.ret, message: error.message, at: Date.now(), operation: error.operation ?? 'connection', codes };
    this.opts.logger?.warn(
      { endpoint: this.endpoint, index: this.index, ret: error.ret, msg: error.message, codes: codes.length },
      'upstream rejected a request',
    );
    this.emit('rejected', { error, codes, channel });
  }

  /** An acknowledged list is what upstream holds now; it may also clear suspects of a culprit search. */
  private onListAccepted(pending: PendingAck): void {
    if (!pending.list) return; // heartbeat
    const channel = pending.channel === 'other' ? null : pending.channel;
    const culprit = this.ledger.accepted(channel, pending.list, pending.codes);
    if (culprit) this.isolated(culprit);
  }

  /**
   * A rejected list leaves upstream on the previous one, so `sent` goes back to what was acked;
   * the ledger decides what goes next (a narrower list, or the same one after a wait).
   */
  private onListRejected(pending: PendingAck, error: AllTickError): void {
    if (pending.channel === 'other') return;
    const channel = pending.channel;
    this.sent = { ...this.sent, [channel]: this.ledger.acked[channel] };
    const culprit = this.ledger.rejected(channel, pending.codes, error);
    if (culprit) this.isolated(culprit);
    this.schedulePump(0);
    this.emit('lists'); // waiting again
  }

  private isolated({ code, channel, error }: CodeRejection): void {
    this.opts.logger?.warn({ endpoint: this.endpoint, index: this.index, code, ret: error.ret }, 'upstream refuses a code; it is left out of the lists');
    this.emit('codeRejected', { code, error, channel });
  }

  private checkResubscribed(): void {
    if (this.resubscribed || !this.inSync) return;
    if ([...this.pending.values()].some((p) => p.cmd !== Cmd.Heartbeat)) return;
    this.resubscribed = true;
    this.emitStatus();
  }

  // -------------------------------------------------------------------------------------------
  // The send loop: one request per spacing slot, heartbeat first, then the lists

  private schedulePump(delayMs: number): void {
    if (!this.socketOpen) return;
    if (this.pumpTimer) {
      if (delayMs > 0) return; // an earlier wake-up is already set
      clearTimeout(this.pumpTimer);
    }
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = null;
      this.pump();
    }, delayMs);
  }

  /** Upstream measures spacing on arrival; a small margin absorbs network and timer jitter. */
  private get spacingWithMargin(): number {
    return this.opts.requestSpacingMs + jitterMargin(this.opts.requestSpacingMs);
  }

  private pump(): void {
    if (!this.socketOpen || !this.ws) return;
    this.syncLists();
    const now = Date.now();
    const slotAt = this.lastRequestAt + this.spacingWithMargin;
    if (now < slotAt) return this.schedulePump(slotAt - now);

    const heartbeatDue = this.lastHeartbeatAt + this.opts.heartbeatIntervalMs;
    if (now >= heartbeatDue) {
      this.lastHeartbeatAt = now;
      this.send(Cmd.Heartbeat, {}, [], 'other');
      this.scheduler.poke(); // this connection's lists are ready later now
      return this.schedulePump(this.spacingWithMargin);
    }
    this.checkResubscribed();
    this.schedulePump(heartbeatDue - now);
  }

  /** Tells the scheduler which of this connection's lists differ from what upstream holds. */
  private syncLists(): void {
    for (const channel of ['trades', 'depth'] as const) {
      if (this.differs(channel)) this.scheduler.want(this.listKey(channel), this.slotFor(channel));
      else this.scheduler.settled(this.listKey(channel));
    }
  }

  private leaveScheduler(): void {
    this.scheduler.settled(this.listKey('trades'));
    this.scheduler.settled(this.listKey('depth'));
  }

  /** Symbols wanted on list `channel` that this connection has not sent upstream yet. */
  unsent(channel: 'trades' | 'depth'): string[] {
    const sent = new Set(channel === 'trades' ? this.sent.trades : this.sent.depth.map((e) => e.code));
    const target = this.target;
    return (channel === 'trades' ? target.trades : target.depth.map((e) => e.code)).filter((code) => !sent.has(code));
  }

  private differs(channel: 'trades' | 'depth'): boolean {
    const target = this.target;
    return channel === 'trades' ? !sameTrades(target.trades, this.sent.trades) : !sameDepth(target.depth, this.sent.depth);
  }

  /** When this connection could send a list request, and the request itself (its latest wanted state). */
  private slotFor(channel: 'trades' | 'depth') {
    const readyAt = () => {
      if (!this.socketOpen || !this.ws) return Infinity;
      const slot = Math.max(this.lastRequestAt + this.spacingWithMargin, this.ledger.retryAt);
      // a heartbeat due by then goes first (the send loop sends it at the slot); the list takes the next one
      return this.lastHeartbeatAt + this.opts.heartbeatIntervalMs <= slot ? slot + this.spacingWithMargin : slot;
    };
    return {
      readyAt,
      send: () => {
        if (readyAt() > Date.now() || !this.differs(channel)) return false;
        this.sendList(channel);
        this.syncLists(); // a cancel of both lists settles the other one too
        this.schedulePump(this.spacingWithMargin);
        this.emit('lists'); // no longer waiting
        return true;
      },
    };
  }

  /** Sends the request that brings upstream's list `channel` to the wanted state. */
  private sendList(channel: 'trades' | 'depth'): void {
    const desired = this.target;
    if (desired.trades.length === 0 && desired.depth.length === 0 && this.differs('trades') && this.differs('depth')) {
      return this.sendCancel(CancelType.All);
    }
    if (channel === 'trades') {
      const trades = desired.trades;
      if (trades.length === 0) return this.sendCancel(CancelType.Trade);
      this.sent.trades = trades;
      this.send(Cmd.SubscribeTrade, { symbol_list: trades.map((code) => ({ code })) }, trades, 'trades', { ...this.ledger.acked, trades });
    } else {
      const depth = desired.depth;
      if (depth.length === 0) return this.sendCancel(CancelType.Depth);
      this.sent.depth = depth;
      this.send(
        Cmd.SubscribeDepth,
        { symbol_list: depth },
        depth.map((e) => e.code),
        'depth',
        { ...this.ledger.acked, depth },
      );
    }
  }

  private sendCancel(type: CancelType): void {
    if (type !== CancelType.Depth) this.sent.trades = [];
    if (type !== CancelType.Trade) this.sent.depth = [];
    const { acked } = this.ledger;
    const after = { trades: type === CancelType.Depth ? acked.trades : [], depth: type === CancelType.Trade ? acked.depth : [] };
    this.send(Cmd.Cancel, { cancel_type: type }, [], 'other', after);
  }

  private send(cmd: RequestCmd, data: object, codes: string[], channel: RejectedRequest['channel'], list?: SubscriptionLists): void {
    const ws = this.ws;
    if (!ws) return;
    this.seqId = this.seqId >= MAX_SEQ_ID ? 1 : this.seqId + 1;
    const seqId = this.seqId;
    const trace = `${this.endpoint}-${this.index}-${CMD_NAMES[cmd]}-${seqId}`;
    this.lastRequestAt = Date.now();
    this.counters.requestsSent++;
    const timer = setTimeout(() => {
      this.pending.delete(seqId);
      this.drop(`no ack for ${CMD_NAMES[cmd]} within ${this.opts.ackTimeoutMs} ms`);
    }, this.opts.ackTimeoutMs);
    this.pending.set(seqId, { cmd, codes, channel, timer, ...(list && { list }) });
    ws.send(JSON.stringify({ cmd_id: cmd, seq_id: seqId, trace, data }));
  }

  private failPending(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private clearTimers(): void {
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.pumpTimer = null;
    this.reconnectTimer = null;
    this.failPending();
  }

  private setState(state: ConnectionState, reason?: string): void {
    this.state = state;
    this.stateSince = Date.now();
    if (state === 'connected') this.reason = undefined;
    else if (reason !== undefined) this.reason = reason;
    this.emitStatus();
  }

  private emitStatus(): void {
    this.emit('status', this.status);
  }
}

/** 10 % of an upstream interval, at most 100 ms: what arrival and timer jitter can eat of it. */
export function jitterMargin(intervalMs: number): number {
  return Math.min(100, Math.ceil(intervalMs * 0.1));
}
