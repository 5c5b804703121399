/**
 * A group: every graphql-ws subscription with one operation key (operation-key.ts) shares one
 * event source, one execution per event and one serialized payload, encoded once into the bytes
 * each member writes to its socket (frame.ts: one frame per operation id, not per member).
 *
 * The group also remembers the latest rendered event per key (symbol), so that a member joining a
 * running group first gets the current state of each symbol — like a fresh subscription, as
 * SNAPSHOT events where the field says how (`asSnapshot`) — without anyone else seeing anything, and so that a member on a slow connection can be brought up to
 * date with the latest values only.
 */
import { execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { directSourceOf, type SharedStreamSpec } from '../../stream/shared-streams.js';
import { SharedPayload } from './frame.js';
import { GroupMember, type MemberGroup, type MemberTarget } from './member.js';
import type { Outbox } from './outbox.js';
import type { SharedOperation } from './operation-key.js';

/** An event executed and serialized: the `payload` of a graphql-ws `next` message. */
export interface RenderedEvent {
  event: unknown;
  payload: SharedPayload;
  /** the payload with the event's conflation mark flipped, made on demand */
  flipped?: SharedPayload;
  /** the payload of the event replayed to a joining member (as a snapshot), made on demand */
  replay?: SharedPayload;
}

/** Rendered events per key, shared by the groups of one shape (see operation-key.ts). */
export type ShapeCache = Map<string, { stamp: object; rendered: RenderedEvent }>;

export interface GroupHost {
  /** the group ended or emptied: forget it */
  remove(group: SharedGroup): void;
  maskError(error: unknown): unknown;
}

export class SharedGroup implements MemberGroup {
  private readonly active = new Set<GroupMember>();
  private readonly waiting = new Set<GroupMember>();
  private readonly latest: Map<string, RenderedEvent> | null;
  private readonly spec: SharedStreamSpec;
  private started = false;
  private closedFlag = false;
  /** stops a directly delivering source */
  private stopSource: (() => void) | null = null;
  /** the iterator of a source without direct delivery */
  private iterator: AsyncIterator<unknown> | null = null;
  /** renders still waiting on an asynchronous execution: later events queue behind them, in order */
  private tail: Promise<void> | null = null;

  constructor(
    readonly op: SharedOperation,
    private readonly args: ExecutionArgs,
    private readonly source: AsyncIterable<unknown>,
    readonly shape: ShapeCache,
    private readonly host: GroupHost,
  ) {
    this.spec = op.spec;
    this.latest = this.spec.replayLatest || this.spec.conflate ? new Map() : null;
  }

  get conflatable(): boolean {
    return this.spec.conflate !== undefined;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  get memberCount(): number {
    return this.active.size + this.waiting.size;
  }

  addMember(outbox: Outbox, target: MemberTarget): GroupMember {
    const member = new GroupMember(this, outbox, target);
    this.waiting.add(member);
    return member;
  }

  activate(member: GroupMember): void {
    if (this.closedFlag || !this.waiting.has(member)) return;
    const replay = this.spec.replayLatest && this.latest ? [...this.latest] : [];
    const payloads = replay.map(([, rendered]) => this.replayPayload(rendered));
    const join = (ready: SharedPayload[]) => {
      if (this.closedFlag || !this.waiting.delete(member)) return; // it left meanwhile
      const replayed = new Map(replay.map(([key, rendered], i) => [key, { rendered, payload: ready[i] as SharedPayload }]));
      for (const [key, { payload }] of replayed) member.deliver(key, payload);
      // what changed while an asynchronous replay rendered follows it
      for (const [key, rendered] of this.latest ?? []) if (replayed.get(key)?.rendered !== rendered) member.deliver(key, rendered.payload);
      this.active.add(member);
    };
    // eslint-disable-next-line @typescript-eslint/await-thenable -- at run time some payloads are promises (checked just before)
    if (payloads.some((p) => p instanceof Promise)) void Promise.all(payloads).then(join, (error: unknown) => this.finish(error));
    else join(payloads as SharedPayload[]);
    if (!this.started) this.startSource();
  }

  leave(member: GroupMember): void {
    this.active.delete(member);
    this.waiting.delete(member);
    if (!this.closedFlag && this.memberCount === 0) this.close();
  }

  heldBackPayload(key: string, skipped: boolean): SharedPayload | undefined {
    const rendered = this.latest?.get(key);
    if (!rendered) return undefined;
    return skipped ? this.payload(rendered, true) : rendered.payload;
  }

  /** The last member left: stop the source (which gives its feed lease back). */
  private close(): void {
    this.closedFlag = true;
    this.host.remove(this);
    this.stopTheSource();
  }

  /**
   * The source ended or failed: so do the members (graphql-ws sends `complete` or `error`). The
   * error is masked here, as envelop would mask it: graphql-ws iterates the members unwrapped.
   */
  private finish(error?: unknown): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.host.remove(this);
    this.stopTheSource();
    const ended = error === undefined ? undefined : this.host.maskError(error);
    for (const member of [...this.active, ...this.waiting]) member.end(ended);
  }

  private stopTheSource(): void {
    const stop = this.stopSource;
    this.stopSource = null;
    stop?.();
    // a source that was never iterated holds nothing (leases are taken on the first pull), but end it anyway
    void (this.iterator ?? this.source[Symbol.asyncIterator]()).return?.();
  }

  /** Starts the source, with direct delivery when it offers it. */
  private startSource(): void {
    this.started = true;
    const direct = directSourceOf(this.source);
    if (!direct) {
      this.iterator = this.source[Symbol.asyncIterator]();
      void this.pump(this.iterator);
      return;
    }
    try {
      const stop = direct({ next: (event) => this.onEvent(event), error: (error) => this.finish(error) });
      if (this.closedFlag) stop();
      else this.stopSource = stop;
    } catch (error) {
      this.finish(error); // e.g. no upstream capacity: every member gets the error
    }
  }

  /** An event of a directly delivering source, synchronously (inside the feed's publish: never throw there). */
  private onEvent(event: unknown): void {
    if (this.closedFlag) return;
    let key: string;
    let rendered: RenderedEvent | Promise<RenderedEvent>;
    try {
      key = this.spec.keyOf(event);
      rendered = this.render(key, event);
      if (!this.tail && !(rendered instanceof Promise)) return this.publish(key, rendered);
    } catch (error) {
      return this.finish(error);
    }
    const tail: Promise<void> = (this.tail ?? Promise.resolve())
      .then(() => rendered)
      .then(
        (r) => this.publish(key, r),
        (error: unknown) => this.finish(error),
      )
      .finally(() => {
        if (this.tail === tail) this.tail = null;
      });
    this.tail = tail;
  }

  private async pump(iterator: AsyncIterator<unknown>): Promise<void> {
    try {
      for (;;) {
        const step = await iterator.next();
        if (step.done || this.closedFlag) break;
        const key = this.spec.keyOf(step.value);
        const maybe = this.render(key, step.value);
        this.publish(key, maybe instanceof Promise ? await maybe : maybe);
      }
      this.finish();
    } catch (error) {
      this.finish(error);
    }
  }

  private publish(key: string, rendered: RenderedEvent): void {
    if (this.closedFlag) return;
    this.latest?.set(key, rendered);
    for (const member of this.active) member.deliver(key, rendered.payload);
  }

  /** One execution and one serialization per event, or none when a group of the same shape already rendered it. */
  private render(key: string, event: unknown): RenderedEvent | Promise<RenderedEvent> {
    const stamp = this.spec.stampOf?.(event);
    if (stamp) {
      const cached = this.shape.get(key);
      if (cached?.stamp === stamp) return cached.rendered;
    }
    const done = (result: ExecutionResult): RenderedEvent => {
      const rendered: RenderedEvent = { event, payload: new SharedPayload(this.serialize(result)) };
      if (stamp) this.shape.set(key, { stamp, rendered });
      return rendered;
    };
    const result = execute({ ...this.args, rootValue: event });
    return result instanceof Promise ? result.then(done) : done(result);
  }

  /** The payload a joining member gets for a remembered event: as a snapshot when the field says how, rendered once and kept. */
  private replayPayload(rendered: RenderedEvent): SharedPayload | Promise<SharedPayload> {
    const asSnapshot = this.spec.asSnapshot;
    if (!asSnapshot) return this.payload(rendered, false);
    if (rendered.replay !== undefined) return rendered.replay;
    const done = (result: ExecutionResult) => (rendered.replay = new SharedPayload(this.serialize(result)));
    const result = execute({ ...this.args, rootValue: asSnapshot(rendered.event) });
    return result instanceof Promise ? result.then(done) : done(result);
  }

  /** The payload with the conflation mark as asked (`marked`), rendered once and kept. */
  private payload(rendered: RenderedEvent, marked: boolean): SharedPayload {
    const conflate = this.spec.conflate;
    if (!conflate || conflate.isMarked(rendered.event) === marked) return rendered.payload;
    if (rendered.flipped === undefined) {
      const result = execute({ ...this.args, rootValue: conflate.mark(rendered.event, marked) });
      // an asynchronous resolver cannot be awaited here: fall back to the unmarked payload
      if (result instanceof Promise) return rendered.payload;
      rendered.flipped = new SharedPayload(this.serialize(result));
    }
    return rendered.flipped;
  }

  /** As graphql-ws would: errors (masked like Yoga masks them) after the rest of the result. */
  private serialize(result: ExecutionResult): string {
    if (!result.errors) return JSON.stringify(result);
    const { errors, ...rest } = result;
    return JSON.stringify({ ...rest, errors: errors.map((e) => this.host.maskError(e)) });
  }
}
