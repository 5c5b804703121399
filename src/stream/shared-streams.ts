/**
 * Subscription fields whose events may be shared by every subscriber of an equal operation
 * (src/http/fanout: one source, one execution and one serialization per event for the whole
 * group). A field opts in by declaring its contract in its extensions (`sharedStream`): how its
 * events are told apart, replayed and conflated; fields that do not keep the ordinary
 * per-subscriber path. The field's per-subscriber stream reads the same contract, so each rule is
 * written once.
 */
export interface SharedStreamSpec<E = unknown> {
  /** arguments that are sets (order and repeats do not matter): sorted before operations are compared */
  setArgs?: readonly string[];
  /** arguments that make a subscription its own when given (a resume replays for that client alone) */
  privateArgs?: readonly string[];
  /** what an event updates (a symbol): replay and slow-client conflation keep the latest event per key */
  keyOf(event: E): string;
  /** a subscriber joining a running stream first gets the latest event of every key, i.e. the current state */
  replayLatest: boolean;
  /** the latest event of a key as a joining subscriber's first event (e.g. `event: SNAPSHOT`, not a conflation mark) */
  asSnapshot?(event: E): E;
  /**
   * Present when a slow client may get only the latest event per key (quotes). Absent: every event
   * matters (trades, final candles), and a client that stays stalled is evicted instead.
   */
  conflate?: {
    /** the event, marked (or unmarked) as standing in for skipped ones, e.g. `conflated: true` */
    mark(event: E, conflated: boolean): E;
    isMarked(event: E): boolean;
  };
  /**
   * Events with the same key and the same stamp (compared with ===) render identically for equal
   * selections, so groups that differ only in their set arguments can share one execution.
   * Return undefined when an event is not shareable.
   */
  stampOf?(event: E): object | undefined;
}

/** The key of a Subscription field's extensions under which its stream contract is declared. */
const SHARED_STREAM = 'sharedStream';

/**
 * Declares, next to a Subscription field (`t.field({ ..., extensions: sharedStream(spec) })`), that
 * its events are shareable and how: the fan-out layer reads it from the schema field.
 */
export function sharedStream<E>(spec: SharedStreamSpec<E>): { [SHARED_STREAM]: SharedStreamSpec<E> } {
  return { [SHARED_STREAM]: spec };
}

/** The contract a schema field declared with `sharedStream`, if any. */
export function sharedStreamOf(field: { extensions: Readonly<Record<string, unknown>> }): SharedStreamSpec | undefined {
  return field.extensions[SHARED_STREAM] as SharedStreamSpec | undefined;
}

/**
 * A source may also offer direct delivery: events handed to a callback synchronously as they
 * happen, without an async iterator per event. A group uses it when present (no promise per
 * event, no queue: the per-connection outboxes bound what is buffered); everything else iterates
 * the source as usual.
 */
export const DIRECT_SOURCE = Symbol('sharedStream.directSource');

export interface DirectSink<E> {
  next(event: E): void;
  /** the source failed; nothing follows */
  error(error: unknown): void;
}

/** Starts delivering (taking whatever lease the source needs); returns the function that stops it. May throw. */
export type DirectStart<E> = (sink: DirectSink<E>) => () => void;

export function withDirectSource<T extends object, E>(source: T, start: DirectStart<E>): T {
  return Object.assign(source, { [DIRECT_SOURCE]: start });
}

export function directSourceOf(source: unknown): DirectStart<unknown> | undefined {
  const start = (source as { [DIRECT_SOURCE]?: unknown } | null)?.[DIRECT_SOURCE];
  return typeof start === 'function' ? (start as DirectStart<unknown>) : undefined;
}
