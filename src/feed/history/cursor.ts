/**
 * Cursors (SPEC §4): opaque strings on streamed events that a client hands back as `after` to
 * resume. Each names one symbol:
 * - a trade's position in the trade history (its id within the history's `epoch`: a process of a
 *   single instance, or the shared Redis history of a cluster), so a cursor from another history
 *   is recognised as one the history does not reach;
 * - a quote's state: the upstream seq of its last trade and last book and whether it was stale
 *   (quotes are state: a resume sends a SNAPSHOT when any of them changed);
 * - a final candle's bar start.
 * A cursor is base64url JSON; several cursors joined with '.' make a stream cursor (the SSE `id:`
 * of a multi-symbol stream). Decoding is client input: validated with zod, errors name the value.
 */
import { z } from 'zod';
import { isValidSymbol } from '../alltick/symbols.js';

export type Cursor =
  | { kind: 'trade'; symbol: string; epoch: string; id: string }
  | { kind: 'quote'; symbol: string; trade: string; book: string; stale: boolean }
  | { kind: 'candle'; symbol: string; interval: string; time: number };

const symbol = z.string().refine(isValidSymbol);
/** history ids: a counter (single instance) or a Redis stream id `<ms>-<n>` */
const historyId = z.string().regex(/^\d{1,20}(-\d{1,20})?$/);
const seqOrNone = z.string().regex(/^\d{0,24}$/);

const wireSchema = z.union([
  z.tuple([z.literal('t'), symbol, z.string().regex(/^[\w-]{1,40}$/), historyId]),
  z.tuple([z.literal('q'), symbol, seqOrNone, seqOrNone, z.union([z.literal(0), z.literal(1)])]),
  z.tuple([z.literal('c'), symbol, z.string().regex(/^\w{1,4}$/), z.number().int().nonnegative()]),
]);

/** Longest `after` text accepted (100 symbols of stream cursor and then some). */
export const MAX_CURSOR_TEXT = 16 * 1024;

export function encodeCursor(cursor: Cursor): string {
  const wire =
    cursor.kind === 'trade'
      ? ['t', cursor.symbol, cursor.epoch, cursor.id]
      : cursor.kind === 'quote'
        ? ['q', cursor.symbol, cursor.trade, cursor.book, cursor.stale ? 1 : 0]
        : ['c', cursor.symbol, cursor.interval, cursor.time];
  return Buffer.from(JSON.stringify(wire)).toString('base64url');
}

function decodeOne(text: string): Cursor | null {
  if (!/^[\w-]{1,400}$/.test(text)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = wireSchema.safeParse(raw);
  if (!parsed.success) return null;
  const w = parsed.data;
  if (w[0] === 't') return { kind: 'trade', symbol: w[1], epoch: w[2], id: w[3] };
  if (w[0] === 'q') return { kind: 'quote', symbol: w[1], trade: w[2], book: w[3], stale: w[4] === 1 };
  return { kind: 'candle', symbol: w[1], interval: w[2], time: w[3] };
}

/**
 * The cursors in `texts` (each a cursor or a stream cursor); throws an InvalidCursorError naming
 * the first value that is not one.
 */
export function decodeCursors(texts: readonly string[], argument = 'after'): Cursor[] {
  const out: Cursor[] = [];
  for (const text of texts) {
    if (text.length > MAX_CURSOR_TEXT) throw badCursor(`${text.slice(0, 40)}…`, argument);
    for (const part of text.split('.')) {
      const cursor = decodeOne(part);
      if (!cursor) throw badCursor(part, argument);
      out.push(cursor);
    }
  }
  return out;
}

/** A cursor that is not one this server sent: client input, so the schema answers it as BAD_USER_INPUT. */
export class InvalidCursorError extends Error {
  constructor(
    message: string,
    /** the argument the cursor came in */
    readonly argument: string,
  ) {
    super(message);
  }
}

function badCursor(text: string, argument: string): InvalidCursorError {
  return new InvalidCursorError(`invalid cursor ${JSON.stringify(text.slice(0, 80))}: pass a \`cursor\` of an event this server sent`, argument);
}

/** What a cursor is about within a stream: one per symbol (and interval); a stream cursor keeps the latest per key. */
export function cursorKey(cursor: Cursor): string {
  return cursor.kind === 'candle' ? `c:${cursor.symbol}:${cursor.interval}` : `${cursor.kind[0]}:${cursor.symbol}`;
}

/** Joins cursors into one stream cursor. */
export function joinCursors(texts: Iterable<string>): string {
  return [...texts].join('.');
}

/**
 * Orders history ids of one epoch: counters, or Redis stream ids `<ms>-<n>` (compared part by part,
 * as numbers; both parts fit a double exactly).
 */
export function compareIds(a: string, b: string): number {
  const [a1, a2 = '0'] = a.split('-');
  const [b1, b2 = '0'] = b.split('-');
  return Number(a1) - Number(b1) || Number(a2) - Number(b2);
}
