/**
 * One grouped subscription: what graphql-ws iterates, and where the group's frames go.
 *
 * graphql-ws gets an async iterator that never yields: the group writes this member's `next`
 * frames straight to the socket (the group's shared payload, framed with this operation's id).
 * The iterator ends when the group ends (graphql-ws then sends `complete`), fails with the group's
 * error (graphql-ws sends `error`), and `return()` — a client `complete` or a closed socket —
 * leaves the group at once, so no frame follows it. Joining is lazy: the member receives nothing
 * until graphql-ws starts iterating, as with a Repeater.
 */
import type { Tally } from '../../metrics/process-metrics.js';
import { nextHead, type NextAddress, type SharedPayload } from './frame.js';
import { fanoutCounters, type Outbox, type OutboxMember } from './outbox.js';

/** What a member needs from its group. */
export interface MemberGroup {
  readonly conflatable: boolean;
  activate(member: GroupMember): void;
  leave(member: GroupMember): void;
  /** the payload for a held-back key: the latest event, marked as conflated when others were skipped */
  heldBackPayload(key: string, skipped: boolean): SharedPayload | undefined;
}

type Outcome = { done: true } | { done: false; error: unknown };
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** Where a member's frames go: its operation id, the tally of its frames, who hears it leave. */
export interface MemberTarget {
  id: string;
  frames?: Tally;
  onEnd?: () => void;
}

export class GroupMember implements AsyncIterableIterator<never>, OutboxMember, NextAddress {
  private state: 'waiting' | 'active' | 'left' = 'waiting';
  private outcome: Outcome | null = null;
  /** the pending `next()` of graphql-ws, settled when the member ends (two fields, not an object: members are many) */
  private resolveNext: ((r: IteratorResult<never>) => void) | null = null;
  private rejectNext: ((e: unknown) => void) | null = null;
  /** keys held back while the connection is behind, with how many updates each stands for */
  private heldBack: Map<string, number> | null = null;
  /** `{"id":…,"type":"next","payload":` as bytes, made when first needed */
  private headBytes: Buffer | null = null;

  constructor(
    private readonly group: MemberGroup,
    private readonly outbox: Outbox,
    private readonly target: MemberTarget,
  ) {}

  get id(): string {
    return this.target.id;
  }

  get head(): Buffer {
    return (this.headBytes ??= nextHead(this.target.id));
  }

  private send(payload: SharedPayload): void {
    const tally = this.target.frames;
    if (this.outbox.sendNext(payload, this) && tally) tally.count++;
  }

  get conflatable(): boolean {
    return this.group.conflatable;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<never>> {
    if (this.state === 'waiting' && !this.outcome) {
      this.state = 'active';
      this.outbox.members.add(this);
      this.group.activate(this);
    }
    if (this.outcome) return settle(this.outcome);
    return new Promise((resolve, reject) => {
      this.resolveNext = resolve;
      this.rejectNext = reject;
    });
  }

  return(): Promise<IteratorResult<never>> {
    this.leave();
    this.finish({ done: true });
    return Promise.resolve(DONE);
  }

  throw(error: unknown): Promise<IteratorResult<never>> {
    this.leave();
    this.finish({ done: true });
    return Promise.reject(error);
  }

  /** One event of the group, as a shared payload. */
  deliver(key: string, payload: SharedPayload): void {
    if (this.outbox.behind && this.group.conflatable) {
      this.heldBack ??= new Map();
      const held = this.heldBack.get(key);
      if (held !== undefined) {
        fanoutCounters.droppedUpdates++;
        this.outbox.metrics.countDropped('graphql-ws', 'slow-consumer');
      }
      this.heldBack.set(key, (held ?? 0) + 1);
      return;
    }
    this.send(payload);
  }

  flush(): void {
    const held = this.heldBack;
    if (!held) return;
    for (const [key, count] of held) {
      if (this.outbox.behind) return;
      held.delete(key);
      const payload = this.group.heldBackPayload(key, count > 1);
      if (payload !== undefined) this.send(payload);
    }
    this.heldBack = null;
  }

  evicted(): void {
    this.leave();
    this.finish({ done: true });
  }

  /** The group ended: complete normally, or with its error. */
  end(error?: unknown): void {
    this.leave();
    this.finish(error === undefined ? { done: true } : { done: false, error });
  }

  private leave(): void {
    if (this.state === 'left') return;
    this.state = 'left';
    this.heldBack = null;
    this.outbox.members.delete(this);
    this.group.leave(this);
    this.target.onEnd?.();
  }

  private finish(outcome: Outcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    const [resolve, reject] = [this.resolveNext, this.rejectNext];
    this.resolveNext = this.rejectNext = null;
    if (outcome.done) resolve?.(DONE);
    else reject?.(outcome.error);
  }
}

function settle(outcome: Outcome): Promise<IteratorResult<never>> {
  return outcome.done ? Promise.resolve(DONE) : Promise.reject(outcome.error);
}
