/**
 * One client WebSocket connection: its subscription state and every per-connection rule of
 * alltick-protocol.md §2–§3: header/data validation (201/202), acks (cmd + 1, echo seq_id and
 * trace), replace-not-merge lists with plan cap and depth clamp, cancel types, 1 s request
 * spacing (605, or 606 + close), token-wide subscription spacing (counted, optionally enforced),
 * and the heartbeat timeout.
 */
import type { RawData, WebSocket } from 'ws';
import { Cmd, REQUEST_CMDS, Ret, cancelDataSchema, requestHeaderSchema, subscribeDataSchema } from '../feed/alltick/protocol.js';
import type { Endpoint } from '../feed/alltick/symbols.js';
import { SIM_CLOSE_REASONS, SimCloseCode } from './close-codes.js';
import { HEADER_INVALID_FRAME, ackFrame } from './frames.js';
import type { ResolvedOptions } from './options.js';
import type { ConnectionRecord, RecordedFrame, SimulatorRecord } from './record.js';
import { acceptDepthList, acceptTradeList, codeBelongsTo, isKnownCode, type TokenSpacing } from './rules.js';
import type { DepthEntry, Subscriber, SubscriptionIndex } from './subscriptions.js';

/** How acks (every reply that echoes a request) are sent: normally, never, or late. */
export type AckMode = 'normal' | 'withhold' | { delayMs: number };

export interface SessionInfo {
  id: number;
  endpoint: Endpoint;
  token: string;
  tradeList: string[];
  depthList: DepthEntry[];
  openedAt: number;
  closedAt?: number;
  closeCode?: number;
  closeReason?: string;
}

/** What a session needs from the simulator around it. */
export interface SessionContext {
  readonly options: ResolvedOptions;
  readonly index: SubscriptionIndex<WsSession>;
  readonly record: SimulatorRecord;
  readonly tokenSpacing: TokenSpacing;
  ackMode(): AckMode;
  /** the ret forced by `failCode` for one of these codes, if any */
  failRet(codes: readonly string[]): number | undefined;
  onFrame(frame: RecordedFrame): void;
  onClosed(session: WsSession): void;
}

const SUBSCRIPTION_CMDS: readonly number[] = [Cmd.SubscribeDepth, Cmd.SubscribeTrade, Cmd.Cancel];
/** Pushes are dropped for a client this far behind (a real server would not buffer forever). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export class WsSession implements Subscriber {
  readonly openedAt = Date.now();
  private readonly conn: ConnectionRecord;
  private lastRequestAt: number | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly delayedAcks = new Set<NodeJS.Timeout>();
  private closing = false;
  /** the lists held when the connection closed (the index forgets them) */
  private finalLists: { trade: string[]; depth: DepthEntry[] } | undefined;

  constructor(
    readonly id: number,
    readonly endpoint: Endpoint,
    readonly token: string,
    private readonly ws: WebSocket,
    private readonly ctx: SessionContext,
  ) {
    this.conn = { sessionId: id, endpoint, token, openedAt: this.openedAt };
    ctx.record.connections.push(this.conn);
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
    ws.on('error', () => {});
    this.armHeartbeat();
  }

  get closed(): boolean {
    return this.conn.closedAt !== undefined;
  }

  info(): SessionInfo {
    const info: SessionInfo = {
      id: this.id,
      endpoint: this.endpoint,
      token: this.token,
      tradeList: this.finalLists ? [...this.finalLists.trade] : [...this.ctx.index.tradeList(this)],
      depthList: (this.finalLists?.depth ?? this.ctx.index.depthList(this)).map((e) => ({ ...e })),
      openedAt: this.openedAt,
    };
    if (this.conn.closedAt !== undefined) info.closedAt = this.conn.closedAt;
    if (this.conn.closeCode !== undefined) info.closeCode = this.conn.closeCode;
    if (this.conn.closeReason !== undefined) info.closeReason = this.conn.closeReason;
    return info;
  }

  /** Sends a frame now, whatever the ack mode (pushes, raw frames, connection-level errors). */
  send(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN || this.ws.bufferedAmount > MAX_BUFFERED_BYTES) return;
    this.ws.send(text);
  }

  /** Closes with a simulator close code and its reason. */
  close(code: SimCloseCode): void {
    if (this.closing) return;
    this.closing = true;
    this.ws.close(code, SIM_CLOSE_REASONS[code]);
  }

  /** Drops the TCP connection without a close frame (the client sees 1006). */
  terminate(): void {
    this.closing = true;
    this.ws.terminate();
  }

  /** Sends a reply that echoes a request, as the ack mode says. */
  private reply(text: string): void {
    const mode = this.ctx.ackMode();
    if (mode === 'withhold') return;
    if (mode === 'normal') return this.send(text);
    const timer = setTimeout(() => {
      this.delayedAcks.delete(timer);
      this.send(text);
    }, mode.delayMs);
    timer.unref();
    this.delayedAcks.add(timer);
  }

  private armHeartbeat(): void {
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(() => this.close(SimCloseCode.HeartbeatTimeout), this.ctx.options.heartbeatTimeoutMs);
    this.heartbeatTimer.unref();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const at = Date.now();
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8');
    let parsed: unknown;
    try {
      parsed = isBinary ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const cmdId = (parsed as { cmd_id?: unknown } | null | undefined)?.cmd_id;
    const frame: RecordedFrame = { sessionId: this.id, endpoint: this.endpoint, token: this.token, at, text };
    if (typeof cmdId === 'number') frame.cmd_id = cmdId;
    this.ctx.record.addFrame(frame);
    this.ctx.onFrame(frame);
    if (this.closing) return;

    const header = requestHeaderSchema.safeParse(parsed);
    if (!header.success || !(REQUEST_CMDS as readonly number[]).includes(header.data.cmd_id)) {
      this.send(HEADER_INVALID_FRAME);
      return;
    }
    const { cmd_id, seq_id, trace, data: body } = header.data;
    // Any readable heartbeat keeps the connection alive, even one refused for spacing.
    if (cmd_id === Cmd.Heartbeat) this.armHeartbeat();

    const { options, record, tokenSpacing } = this.ctx;
    if (this.lastRequestAt !== undefined && at - this.lastRequestAt < options.spacingMs) {
      record.spacingViolations++;
      return this.refuse(cmd_id, seq_id, trace);
    }
    if (SUBSCRIPTION_CMDS.includes(cmd_id)) {
      if (tokenSpacing.violates(this.token, at, options.tokenSpacingMs)) {
        record.tokenSpacingViolations++;
        if (options.enforceTokenSpacing) return this.refuse(cmd_id, seq_id, trace);
      }
      tokenSpacing.note(this.token, at);
    }
    this.lastRequestAt = at;

    const ack = (ret: number = Ret.Ok) => this.reply(ackFrame(cmd_id + 1, seq_id, trace, ret));
    if (cmd_id === Cmd.Heartbeat) return ack(); // data may be {}, [] or {symbol_list:null} (§6)
    if (cmd_id === Cmd.Cancel) return ack(this.cancel(body));
    ack(this.subscribe(cmd_id, body));
  }

  /** A request that came too soon: ret 605 and ignored, or ret 606 and the connection closed. */
  private refuse(cmdId: number, seqId: number, trace: string): void {
    if (this.ctx.options.spacingViolation === '605') {
      this.reply(ackFrame(cmdId + 1, seqId, trace, Ret.TooManyRequests));
      return;
    }
    this.send(ackFrame(cmdId + 1, seqId, trace, Ret.TooManyRequestsClosed));
    this.close(SimCloseCode.TooManyRequests);
  }

  /** 22002 / 22004: replaces this connection's list of that type; returns the ack's ret. */
  private subscribe(cmdId: number, body: unknown): number {
    const parsed = subscribeDataSchema.safeParse(body);
    if (!parsed.success) return Ret.DataInvalidExample;
    const entries = parsed.data.symbol_list;
    const forced = this.ctx.failRet(entries.map((e) => e.code));
    if (forced !== undefined) return forced;
    // a well-formed code of this endpoint that AllTick does not list fails the whole list, as there
    if (this.ctx.options.catalogueOnly && entries.some((e) => codeBelongsTo(e.code, this.endpoint) && !isKnownCode(e.code))) return Ret.CodeInvalid;
    const rules = { endpoint: this.endpoint, cap: this.ctx.options.codesPerSubscription, strict: this.ctx.options.strictCodes };
    if (cmdId === Cmd.SubscribeTrade) {
      const r = acceptTradeList(entries, rules);
      if (!r.ok) return r.ret;
      this.ctx.index.setTrade(this, r.list);
    } else {
      const r = acceptDepthList(entries, rules);
      if (!r.ok) return r.ret;
      this.ctx.index.setDepth(this, r.list);
    }
    return Ret.Ok;
  }

  /** 22006: 0 all, 1 depth, 2 trade, 3 (exchange rates, §2.3.5) accepted as a no-op. */
  private cancel(body: unknown): number {
    const parsed = cancelDataSchema.safeParse(body);
    if (!parsed.success) return Ret.DataInvalidExample;
    const type = parsed.data.cancel_type;
    if (type === 0 || type === 1) this.ctx.index.setDepth(this, []);
    if (type === 0 || type === 2) this.ctx.index.setTrade(this, []);
    return Ret.Ok;
  }

  private onClose(code: number, reason: string): void {
    this.closing = true;
    clearTimeout(this.heartbeatTimer);
    for (const timer of this.delayedAcks) clearTimeout(timer);
    this.delayedAcks.clear();
    this.finalLists = { trade: [...this.ctx.index.tradeList(this)], depth: [...this.ctx.index.depthList(this)] };
    this.ctx.index.remove(this);
    this.conn.closedAt = Date.now();
    this.conn.closeCode = code;
    this.conn.closeReason = reason;
    this.ctx.onClosed(this);
  }
}
