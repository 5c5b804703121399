/**
 * What travels through Redis between instances, validated with zod on the way in: Redis is a
 * boundary like any other (another deployment, an older version or a hand-typed redis-cli
 * command may have written there).
 */
import { z } from 'zod';
import type { SubscriptionLists } from '../feed/alltick/connection.js';
import type { MarketEvent } from '../feed/alltick/protocol.js';
import { isValidSymbol, type Endpoint } from '../feed/alltick/symbols.js';
import type { FeedStatus } from '../feed/status.js';

const decimal = z.string().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/);
const seq = z.string().regex(/^\d{1,24}$/);
const symbol = z.string().refine(isValidSymbol, 'not an AllTick code');
const level = z.object({ price: decimal, volume: decimal });

const tradeSchema = z.object({
  kind: z.literal('trade'),
  symbol,
  seq,
  time: z.number().int().nonnegative(),
  price: decimal,
  volume: decimal,
  turnover: decimal.nullable(),
  side: z.enum(['BUY', 'SELL', 'NEUTRAL']),
});

const depthSchema = z.object({
  kind: z.literal('depth'),
  symbol,
  seq,
  time: z.number().int().nonnegative(),
  bids: z.array(level),
  asks: z.array(level),
});

export const marketEventSchema: z.ZodType<MarketEvent> = z.discriminatedUnion('kind', [tradeSchema, depthSchema]);

/**
 * One upstream event on a symbol's channel, stamped with the fencing token of the owner that sent
 * it; a trade also with its id in the shared history (the stream entry id).
 */
export const tickMessageSchema = z.object({
  id: z
    .string()
    .regex(/^\d{1,20}-\d{1,20}$/)
    .optional(),
  fence: z.number().int().positive(),
  event: marketEventSchema,
});

/** The event of a tick message, a trade with its history id. */
export function eventOfMessage(message: TickMessage): MarketEvent {
  return message.id !== undefined && message.event.kind === 'trade' ? { ...message.event, id: message.id } : message.event;
}
export type TickMessage = z.infer<typeof tickMessageSchema>;

const listsSchema = z.object({
  trades: z.array(symbol),
  depth: z.array(z.object({ code: symbol, depth_level: z.number().int().min(0).max(10).optional() })),
});

/** One instance's demand: the lists its feed manager wants held upstream, per endpoint. */
export const demandSchema = z.object({ stock: listsSchema, quote: listsSchema });
export type Demand = Record<Endpoint, SubscriptionLists>;

const errorInfoSchema = z.object({
  ret: z.number().int(),
  message: z.string(),
  at: z.number(),
  operation: z.string(),
  codes: z.array(z.string()),
});

const connectionSchema = z.object({
  endpoint: z.enum(['stock', 'quote']),
  index: z.number().int().nonnegative(),
  state: z.enum(['idle', 'connecting', 'connected', 'disconnected', 'stopped']),
  reason: z.string().nullable(),
  since: z.number(),
  reconnects: z.number().int().nonnegative(),
  resubscribed: z.boolean(),
  lastMessageAt: z.number().nullable(),
  lastError: errorInfoSchema.nullable(),
  trades: z.array(z.string()),
  depth: z.array(z.string()),
  // absent from an owner of an older version
  waiting: z
    .array(z.object({ list: z.enum(['trades', 'depth']), symbols: z.array(z.string()), since: z.number(), expectedAt: z.number().nullable() }))
    .default([]),
});

/** The owner's upstream status, as published for every instance (each adds its own REST status). */
export const statusMessageSchema = z.object({
  fence: z.number().int().positive(),
  owner: z.string(),
  status: z.object({ connected: z.boolean(), connections: z.array(connectionSchema) }) satisfies z.ZodType<Omit<FeedStatus, 'rest'>>,
});
export type StatusMessage = z.infer<typeof statusMessageSchema>;

/** A code AllTick refused on the owner's connection: every instance fails the subscriptions that want it. */
export const rejectionSchema = z.object({ code: symbol, ret: z.number().int(), reason: z.string().max(200) });
export type Rejection = z.infer<typeof rejectionSchema>;

/** JSON.parse then validate; null (never a throw) when the text is not a valid message. */
export function decodeJson<T>(schema: z.ZodType<T>, text: string): T | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const result = schema.safeParse(raw);
  return result.success ? result.data : null;
}
