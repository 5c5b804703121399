/**
 * The `after` argument of streamed fields and the SSE stream cursor (SPEC §4): a resumed stream
 * starts from an SSE reconnect's `Last-Event-ID` when there is one (it is newer than any `after`
 * in the URL), else from `after`.
 */
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../clients/error-codes.js';
import type { Cursor } from '../feed/history/cursor.js';
import { decodeCursors, InvalidCursorError } from '../feed/history/cursor.js';
import type { Context } from './context.js';

export const AFTER_DESCRIPTION =
  'Resume after these cursors: the `cursor` of the last event received (one per symbol, in any order; ' +
  'cursors of other symbols are ignored), or an SSE event id. Over SSE, `Last-Event-ID` does this by itself.';

export function resumeCursors(after: readonly string[] | null | undefined, ctx: Context): Cursor[] {
  const fromSse = ctx.sse?.resumeFrom;
  if (fromSse && fromSse.length > 0) return fromSse;
  if (!after) return [];
  try {
    return decodeCursors(after);
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new GraphQLError(error.message, { extensions: { code: ErrorCode.BadUserInput, argument: error.argument } });
    throw error;
  }
}

/** Over SSE, the source moves the stream cursor (the events' `id:`) on as its events are sent. */
export function withStreamCursor<T>(ctx: Context, source: AsyncIterable<T>, from: readonly Cursor[], cursorOf: (item: T) => Cursor | null): AsyncIterable<T> {
  return ctx.sse ? ctx.sse.track(source, from, cursorOf) : source;
}
