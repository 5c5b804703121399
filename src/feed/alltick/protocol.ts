/**
 * The AllTick WebSocket wire protocol (../shared/alltick-protocol.md §2): command ids, ret codes,
 * and zod schemas for every request, ack and push. Shared by the upstream client and the simulator.
 * Nothing from the wire is trusted: every frame goes through `decodeServerFrame` / `decodeClientFrame`.
 */
import { z } from 'zod';

export const Cmd = {
  Heartbeat: 22000,
  HeartbeatAck: 22001,
  SubscribeDepth: 22002,
  SubscribeDepthAck: 22003,
  SubscribeTrade: 22004,
  SubscribeTradeAck: 22005,
  Cancel: 22006,
  CancelAck: 22007,
  TradePush: 22998,
  DepthPush: 22999,
} as const;
export type Cmd = (typeof Cmd)[keyof typeof Cmd];

/** Request cmd ids; the ack of each is cmd + 1. */
export const REQUEST_CMDS = [Cmd.Heartbeat, Cmd.SubscribeDepth, Cmd.SubscribeTrade, Cmd.Cancel] as const;
export type RequestCmd = (typeof REQUEST_CMDS)[number];

export const Ret = {
  Ok: 200,
  HeaderInvalidExample: 201,
  DataInvalidExample: 202,
  ParamInvalid: 400,
  TokenInvalid: 401,
  QueryInvalid: 402,
  RateLimit: 429,
  CodeInvalid: 600,
  BodyEmpty: 601,
  TokenLevelNotEnough: 603,
  CodeUnauthorized: 604,
  TooManyRequests: 605,
  TooManyRequestsClosed: 606,
} as const;

export const RET_MESSAGES: Record<number, string> = {
  200: 'ok',
  201: 'request header param invalid',
  202: 'request data param invalid',
  400: 'request header param invalid',
  401: 'token invalid',
  402: 'query invalid',
  429: 'rate limit',
  600: 'code invalid',
  601: 'body empty',
  603: 'token level not enough',
  604: 'code unauthorized',
  605: 'too many requests',
  606: 'too many requests and connection will be closed',
};

export const CancelType = { All: 0, Depth: 1, Trade: 2 } as const;
export type CancelType = (typeof CancelType)[keyof typeof CancelType];

/** seq_id must fit in uint32 (§2.1). */
export const MAX_SEQ_ID = 4_294_967_295;
/** trace is at most 64 characters (§2.1). */
export const MAX_TRACE_LENGTH = 64;

// ---------------------------------------------------------------------------------------------
// Scalars as they appear on the wire

/** Longest decimal accepted from upstream, in characters (sign, digits, point): prices, volumes, turnovers. */
export const MAX_DECIMAL_LENGTH = 40;
/** seq has at most 20 digits (a uint64). */
export const MAX_SEQ_DIGITS = 20;
/** No tick_time after 2100-01-01: microseconds, nanoseconds or garbage fail here. */
export const MAX_TICK_TIME_MS = Date.UTC(2100, 0, 1);

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/;

/**
 * The plain form of a decimal ("1.5e-3" → "0.0015"), or null when it is not a decimal or its
 * plain form is longer than MAX_DECIMAL_LENGTH. The exponent is bounded before anything is
 * expanded, so "1e-5000000" costs no more than "1".
 */
export function plainDecimal(text: string): string | null {
  if (text.length > MAX_DECIMAL_LENGTH) return null;
  const m = DECIMAL_TEXT.exec(text);
  if (!m) return null;
  const [, sign = '', int = '', frac = '', exp] = m;
  if (exp === undefined) return text;
  const shift = Number(exp);
  if (Math.abs(shift) > MAX_DECIMAL_LENGTH) return null;
  const digits = int + frac;
  const point = int.length + shift;
  const plain =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  const result = sign + plain.replace(/^0+(?=\d)/, '');
  return result.length <= MAX_DECIMAL_LENGTH ? result : null;
}

/**
 * A decimal kept exactly as received, in plain form ("651.12"); a number becomes its JSON text.
 * Exponent forms are expanded when short enough, anything longer is refused.
 */
export const decimalString = z
  .union([
    z.string(),
    z
      .number()
      .finite()
      .transform((n) => String(n)),
  ])
  .transform((text, ctx) => {
    const plain = plainDecimal(text);
    if (plain === null) ctx.addIssue({ code: 'custom', message: `not a plain decimal of at most ${MAX_DECIMAL_LENGTH} characters` });
    return plain ?? z.NEVER;
  });

/** seq: string or integer on the wire (§2.3.4 conflict); kept as a string of at most 20 digits. */
export const seqValue = z.union([
  z.string().regex(new RegExp(`^\\d{1,${MAX_SEQ_DIGITS}}$`), 'not an integer sequence of at most 20 digits'),
  z
    .number()
    .int()
    .nonnegative()
    .max(Number.MAX_SAFE_INTEGER)
    .transform((n) => String(n)),
]);

/** tick_time: string or integer, seconds (10 digits) or milliseconds (13 digits); normalized to ms. */
export function normalizeTickTime(raw: number): number {
  return raw < 1e11 ? raw * 1000 : raw;
}
export const tickTimeValue = z
  .union([z.string().regex(/^\d{1,16}$/, 'not an integer time'), z.number().int().nonnegative()])
  .transform((v) => normalizeTickTime(typeof v === 'string' ? Number(v) : v))
  .refine((ms) => ms <= MAX_TICK_TIME_MS, 'tick_time after 2100: not seconds or milliseconds');

/** How far from now a pushed tick_time may be (UPSTREAM_TICK_MAX_AGE_MS, UPSTREAM_TICK_MAX_AHEAD_MS). */
export interface TickTimeWindow {
  maxAgeMs: number;
  maxAheadMs: number;
}

/** A week back (a long weekend's last trade still counts), five minutes ahead (clock skew). */
export const DEFAULT_TICK_TIME_WINDOW: TickTimeWindow = { maxAgeMs: 7 * 24 * 3_600_000, maxAheadMs: 5 * 60_000 };

/** Why `time` is outside `window` around `now`, or null when it is inside. */
export function tickTimeOutside(time: number, now: number, window: TickTimeWindow): string | null {
  if (time > now + window.maxAheadMs) return `tick_time ${time} is more than ${window.maxAheadMs} ms ahead of now`;
  if (time < now - window.maxAgeMs) return `tick_time ${time} is more than ${window.maxAgeMs} ms old`;
  return null;
}

const priceLevel = z.object({ price: decimalString, volume: decimalString.optional().default('0') });

// ---------------------------------------------------------------------------------------------
// Server → client frames

export const ackFrameSchema = z.object({
  ret: z.number().int(),
  msg: z.string().optional().default(''),
  cmd_id: z.number().int(),
  seq_id: z.number().int().optional().default(0),
  trace: z.string().optional().default(''),
  data: z.unknown().optional(),
});
export type AckFrame = z.infer<typeof ackFrameSchema>;

export const tradePushDataSchema = z.object({
  code: z.string().min(1),
  seq: seqValue,
  tick_time: tickTimeValue,
  price: decimalString,
  // FX/metal ticks may come without a meaningful volume (protocol open question 7)
  volume: decimalString.optional().default('0'),
  turnover: decimalString.optional(),
  trade_direction: z
    .union([z.number().int(), z.string().regex(/^\d$/).transform(Number)])
    .optional()
    .default(0),
});

export const depthPushDataSchema = z.object({
  code: z.string().min(1),
  seq: seqValue,
  tick_time: tickTimeValue,
  bids: z
    .array(priceLevel)
    .nullish()
    .transform((v) => v ?? []),
  asks: z
    .array(priceLevel)
    .nullish()
    .transform((v) => v ?? []),
});

export const tradePushSchema = z.object({ cmd_id: z.literal(Cmd.TradePush), data: tradePushDataSchema });
export const depthPushSchema = z.object({ cmd_id: z.literal(Cmd.DepthPush), data: depthPushDataSchema });

// ---------------------------------------------------------------------------------------------
// Normalized events

export type Side = 'BUY' | 'SELL' | 'NEUTRAL';

export interface PriceLevel {
  price: string;
  volume: string;
}

export interface Trade {
  kind: 'trade';
  symbol: string;
  seq: string;
  /** epoch milliseconds */
  time: number;
  price: string;
  volume: string;
  turnover: string | null;
  side: Side;
  /** position in the trade history (src/feed/history), set once the feed accepted the trade */
  id?: string;
}

export interface DepthBook {
  kind: 'depth';
  symbol: string;
  seq: string;
  /** epoch milliseconds */
  time: number;
  bids: PriceLevel[];
  asks: PriceLevel[];
}

export type MarketEvent = Trade | DepthBook;

export function sideOf(direction: number): Side {
  return direction === 1 ? 'BUY' : direction === 2 ? 'SELL' : 'NEUTRAL';
}

/** A level with zero price and zero volume is how upstream draws an empty side (§2.3.3). */
function realLevels(levels: PriceLevel[]): PriceLevel[] {
  return levels.filter((l) => !(Number(l.price) === 0 && Number(l.volume) === 0));
}

export function toTrade(d: z.infer<typeof tradePushDataSchema>): Trade {
  return {
    kind: 'trade',
    symbol: d.code,
    seq: d.seq,
    time: d.tick_time,
    price: d.price,
    volume: d.volume,
    turnover: d.turnover ?? null,
    side: sideOf(d.trade_direction),
  };
}

export function toDepthBook(d: z.infer<typeof depthPushDataSchema>): DepthBook {
  return {
    kind: 'depth',
    symbol: d.code,
    seq: d.seq,
    time: d.tick_time,
    bids: realLevels(d.bids),
    asks: realLevels(d.asks),
  };
}

export type ServerFrame = { type: 'push'; event: MarketEvent } | { type: 'ack'; ack: AckFrame } | { type: 'invalid'; reason: string };

/**
 * Parses and validates one text frame from the AllTick server. Never throws. With `window`, a
 * push whose tick_time is not within it of `now` is invalid too.
 */
export function decodeServerFrame(text: string, window?: TickTimeWindow, now = Date.now()): ServerFrame {
  const frame = decodeFrame(text);
  if (frame.type !== 'push' || !window) return frame;
  const outside = tickTimeOutside(frame.event.time, now, window);
  return outside ? { type: 'invalid', reason: `data.tick_time: ${outside}` } : frame;
}

function decodeFrame(text: string): ServerFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { type: 'invalid', reason: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { type: 'invalid', reason: 'not an object' };
  const cmd = (raw as { cmd_id?: unknown }).cmd_id;
  if (cmd === Cmd.TradePush) {
    const r = tradePushSchema.safeParse(raw);
    return r.success ? { type: 'push', event: toTrade(r.data.data) } : { type: 'invalid', reason: describe(r.error) };
  }
  if (cmd === Cmd.DepthPush) {
    const r = depthPushSchema.safeParse(raw);
    return r.success ? { type: 'push', event: toDepthBook(r.data.data) } : { type: 'invalid', reason: describe(r.error) };
  }
  const r = ackFrameSchema.safeParse(raw);
  return r.success ? { type: 'ack', ack: r.data } : { type: 'invalid', reason: describe(r.error) };
}

// ---------------------------------------------------------------------------------------------
// Client → server frames (validated by the simulator; built by the client)

export const symbolEntrySchema = z.object({
  code: z.string(),
  depth_level: z.number().int().nonnegative().optional(),
});
export type SymbolEntry = z.infer<typeof symbolEntrySchema>;

export const requestHeaderSchema = z.object({
  cmd_id: z.number().int(),
  seq_id: z.number().int().nonnegative().max(MAX_SEQ_ID),
  trace: z.string().max(MAX_TRACE_LENGTH),
  // PHP/Go examples send [] or {symbol_list:null} as heartbeat data (§6): tolerated.
  data: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]),
});

export const subscribeDataSchema = z.object({ symbol_list: z.array(symbolEntrySchema) });
export const cancelDataSchema = z.object({ cancel_type: z.number().int().min(0).max(3) });

export function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
