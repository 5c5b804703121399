/**
 * SSE that resumes by itself (SPEC §4). Every event of a streamed field carries `id:` with the
 * stream cursor: the latest cursor of each symbol the stream has sent (or was resumed from). A
 * reconnecting EventSource sends it back as `Last-Event-ID`, and the streamed fields resume from it
 * as if it had been passed as `after`.
 *
 * Two framings: graphql-sse's distinct-connections mode (`event: next` / `event: complete`, as
 * Yoga sends them, now with `id:`), and with `?sse=eventsource` one a native `EventSource` can use
 * without a client library: unnamed events (`onmessage`), `retry: 1000`, and after `complete` an
 * id that makes the browser's automatic reconnect get 204 No Content, which ends it for good
 * (instead of running the operation again every few seconds).
 */
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { cursorKey, decodeCursors, encodeCursor, joinCursors, type Cursor } from '../feed/history/cursor.js';

/** The `Last-Event-ID` of an EventSource reconnecting after the stream completed. */
export const COMPLETED_ID = 'end';
/** How long a native EventSource waits before reconnecting (the browser default is ~3 s). */
export const RETRY_MS = 1000;
const PING_MS = 12_000;

/** One SSE request's cursors: where it resumes from, and the stream cursor of what it has sent. */
export class SseTrail {
  /** the cursors of `Last-Event-ID` (what the client last received) */
  readonly resumeFrom: Cursor[];
  private readonly latest = new Map<string, string>();

  constructor(lastEventId: string | null) {
    this.resumeFrom = [];
    if (lastEventId && lastEventId !== COMPLETED_ID) {
      try {
        this.resumeFrom = decodeCursors([lastEventId]);
      } catch {
        // not one of ours: start afresh rather than fail a browser's automatic reconnect
      }
    }
  }

  /** The stream cursor after the events pulled so far; null before any. */
  get id(): string | null {
    return this.latest.size > 0 ? joinCursors(this.latest.values()) : null;
  }

  /**
   * Wraps a field's event source: each event pulled moves the stream cursor on (`cursorOf`), so
   * the id written with an event's result is that event's. `from` seeds the cursors of the
   * symbols the stream resumed from, so an id names every symbol even before it ticks again.
   */
  track<T>(source: AsyncIterable<T>, from: readonly Cursor[], cursorOf: (item: T) => Cursor | null): AsyncIterableIterator<T> {
    for (const cursor of from) this.latest.set(cursorKey(cursor), encodeCursor(cursor));
    const iterator = source[Symbol.asyncIterator]();
    const wrapped: AsyncIterableIterator<T> = {
      next: async () => {
        const step = await iterator.next();
        if (!step.done) {
          const cursor = cursorOf(step.value);
          if (cursor) this.latest.set(cursorKey(cursor), encodeCursor(cursor));
        }
        return step;
      },
      return: async (value?: unknown) => (await iterator.return?.(value)) ?? { done: true, value: undefined },
      throw: async (error?: unknown) => {
        if (iterator.throw) return iterator.throw(error);
        throw error;
      },
      [Symbol.asyncIterator]: () => wrapped,
    };
    return wrapped;
  }
}

const trails = new WeakMap<Request, SseTrail>();

const wantsSse = (request: Request) => (request.headers.get('accept') ?? '').includes('text/event-stream');
const isEventSourceMode = (request: Request) => new URL(request.url).searchParams.get('sse') === 'eventsource';

/** The trail of an SSE request (made on first use); undefined for every other request. */
export function sseTrailOf(request: Request | undefined): SseTrail | undefined {
  if (!request || !wantsSse(request)) return undefined;
  let trail = trails.get(request);
  if (!trail) trails.set(request, (trail = new SseTrail(request.headers.get('last-event-id'))));
  return trail;
}

/** Writes SSE with ids; answers an EventSource reconnecting after `complete` with 204. */
export function useResumableSse(): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.headers.get('last-event-id') === COMPLETED_ID && isEventSourceMode(request)) {
        endResponse(new fetchAPI.Response(null, { status: 204 }));
      }
    },
    onResultProcess({ request, result, setResultProcessor }) {
      if (!wantsSse(request)) return;
      const eventSource = isEventSourceMode(request);
      // streams get ids; a single result keeps Yoga's own framing unless a native EventSource asked
      if (!isAsyncIterable(result) && !eventSource) return;
      setResultProcessor(
        (processed, fetchAPI) =>
          sseResponse(processed as ExecutionResult | AsyncIterable<ExecutionResult>, fetchAPI, () => trails.get(request)?.id ?? null, eventSource),
        'text/event-stream',
      );
    },
  };
}

interface FetchApi {
  Response: typeof Response;
  ReadableStream: typeof ReadableStream;
  TextEncoder: typeof TextEncoder;
}

function sseResponse(result: ExecutionResult | AsyncIterable<ExecutionResult>, fetchAPI: FetchApi, idNow: () => string | null, eventSource: boolean): Response {
  const encoder = new fetchAPI.TextEncoder();
  let iterator: AsyncIterator<ExecutionResult>;
  let ping: NodeJS.Timeout | undefined;
  if (isAsyncIterable(result)) iterator = result[Symbol.asyncIterator]();
  else {
    let sent = false;
    iterator = { next: () => Promise.resolve(sent ? { done: true, value: undefined } : ((sent = true), { done: false, value: result })) };
  }
  const stream = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      // a comment first: some browsers wait for a body byte before they report the stream open
      controller.enqueue(encoder.encode(eventSource ? `:\nretry: ${RETRY_MS}\n\n` : ':\n\n'));
      ping = setInterval(() => {
        if (controller.desiredSize === null) clearInterval(ping);
        else if (controller.desiredSize > 0) controller.enqueue(encoder.encode(':\n\n'));
      }, PING_MS);
    },
    async pull(controller) {
      try {
        const step = await iterator.next();
        if (!step.done) {
          const id = idNow();
          controller.enqueue(
            encoder.encode(`${eventSource ? '' : 'event: next\n'}${id ? `id: ${id}\n` : ''}data: ${JSON.stringify(withoutInternals(step.value))}\n\n`),
          );
          return;
        }
        clearInterval(ping);
        controller.enqueue(encoder.encode(`${eventSource ? `id: ${COMPLETED_ID}\n` : ''}event: complete\ndata:\n\n`));
        controller.close();
      } catch (error) {
        clearInterval(ping);
        controller.error(error);
      }
    },
    async cancel(reason) {
      clearInterval(ping);
      await iterator.return?.(reason);
    },
  });
  return new fetchAPI.Response(stream, {
    status: 200,
    headers: { 'Content-Type': 'text/event-stream', Connection: 'keep-alive', 'Cache-Control': 'no-cache', 'Content-Encoding': 'none' },
  });
}

/** As Yoga serialises results: errors without their `http` / `unexpected` extensions, no `extensions.http`. */
function withoutInternals(result: ExecutionResult): unknown {
  if (!result.errors?.length && !result.extensions?.['http']) return result;
  const { http: _http, ...extensions } = (result.extensions ?? {}) as Record<string, unknown>;
  return {
    ...result,
    ...(result.errors && {
      errors: result.errors.map((error) => {
        const json = error.toJSON() as { extensions?: Record<string, unknown> };
        const { http: _h, unexpected: _u, ...rest } = json.extensions ?? {};
        return { ...json, extensions: Object.keys(rest).length > 0 ? rest : undefined };
      }),
    }),
    extensions: Object.keys(extensions).length > 0 ? extensions : undefined,
  };
}
