/**
 * What the simulator writes, in AllTick's exact shapes: WS frames (alltick-protocol.md §2.1–§2.3;
 * acks echo seq_id and trace with cmd = request + 1, pushes carry only cmd_id and data) and the
 * `{"msg","ret"}` bodies of HTTP-level errors (§1.3).
 */
import { STATUS_CODES } from 'node:http';
import { Cmd, RET_MESSAGES } from '../feed/alltick/protocol.js';
import type { TokenCheck } from './options.js';
import type { DepthData, TradeData } from './price-model.js';

export function ackFrame(cmdId: number, seqId: number, trace: string, ret = 200): string {
  return JSON.stringify({ ret, msg: RET_MESSAGES[ret] ?? 'error', cmd_id: cmdId, seq_id: seqId, trace, data: {} });
}

/** A frame for when there is no request to echo (unreadable header, connection-level errors). */
export function bareFrame(ret: number, msg = RET_MESSAGES[ret] ?? 'error'): string {
  return JSON.stringify({ ret, msg, cmd_id: 0, seq_id: 0, trace: '', data: {} });
}

/** The documented reply to an unreadable request header (§2.1). */
export const HEADER_INVALID_FRAME = bareFrame(201);

type Stamped = { seq: string; tick_time: string };

/** seq/tick_time as strings (default) or JSON integers (`numericSeq`). */
function stamp<T extends Stamped>(data: T, numeric: boolean): T | (Omit<T, keyof Stamped> & { seq: number; tick_time: number }) {
  return numeric ? { ...data, seq: Number(data.seq), tick_time: Number(data.tick_time) } : data;
}

export function tradePushFrame(data: TradeData, numeric: boolean): string {
  return JSON.stringify({ cmd_id: Cmd.TradePush, data: stamp(data, numeric) });
}

export function depthPushFrame(data: DepthData, numeric: boolean): string {
  return JSON.stringify({ cmd_id: Cmd.DepthPush, data: stamp(data, numeric) });
}

/** JSON error body in the shape AllTick uses for HTTP-level errors: `{"msg":…,"ret":…}`. */
export function httpErrorBody(status: number, msg?: string): string {
  return JSON.stringify({ msg: msg ?? (status === 429 ? 'rate limit' : (STATUS_CODES[status] ?? 'error').toLowerCase()), ret: status });
}

/** The JSON body of an HTTP 401 (observed live: `{"msg":"token is required","ret":401}`, §1.3). */
export function unauthorizedBody(check: Exclude<TokenCheck, 'ok'>): string {
  return JSON.stringify({ msg: check === 'missing' ? 'token is required' : 'token invalid', ret: 401 });
}
