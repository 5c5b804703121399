/**
 * The groups of shared subscriptions, by operation key, and the outboxes of the connections they
 * write to. `join` is what a grouped subscription's subscribe function does: find or start the
 * group for its key and become a member of it.
 */
import { createSourceEventStream, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { maskError as yogaMaskError } from 'graphql-yoga';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { SharedGroup, type GroupHost, type ShapeCache } from './group.js';
import type { GroupMember } from './member.js';
import type { Tally } from '../../metrics/process-metrics.js';
import type { DeliveryMetrics } from '../../metrics/delivery-metrics.js';
import { OutboxPool, type SlowConsumerPolicy } from './outbox.js';
import type { SharedOperation } from './operation-key.js';

export interface FanoutOptions {
  policy: SlowConsumerPolicy;
  /** the server's drop and eviction counts */
  metrics: DeliveryMetrics;
  /** masks errors of per-event execution; default: Yoga's default masking (keep it in step with createYoga's) */
  maskError?: (error: unknown) => unknown;
  /** where an error that had to be masked is logged, as Yoga logs the ones it masks */
  logger?: { error(object: unknown, message?: string): void };
}

/** Where a grouped subscription's frames go. */
export interface DeliveryTarget {
  socket: WebSocket;
  /** the upgrade request's TCP socket (corked per turn) is read from it */
  request: Pick<IncomingMessage, 'socket'>;
  /** the graphql-ws operation id */
  id: string;
  /** the subscription takes the shared path (set when its operation is shareable) */
  grouped?: boolean;
  /** counts the frames written for this subscription (metrics: events out) */
  frames?: Tally;
  /** called once when the subscription leaves its group (metrics: active subscriptions) */
  onEnd?: () => void;
  /** the subscription's place in its group, once joined: what graphql-ws iterates (plugin.ts) */
  member?: GroupMember;
}

interface GroupEntry {
  ready: Promise<SharedGroup | ExecutionResult>;
  group: SharedGroup | null;
}

export interface FanoutStats {
  /** live groups (each holds one source and one feed lease) */
  groups: number;
  /** subscriptions in them */
  members: number;
  /** distinct shapes sharing rendered events */
  shapes: number;
  /** connections currently over their outgoing budget */
  behindConnections: number;
}

export class FanoutRegistry implements GroupHost {
  private readonly groups = new Map<string, GroupEntry>();
  private readonly shapes = new Map<string, { cache: ShapeCache; groups: number }>();
  private readonly outboxes: OutboxPool;
  readonly maskError: (error: unknown) => unknown;

  constructor(options: FanoutOptions) {
    const mask = options.maskError ?? ((error: unknown) => yogaMaskError(error, 'Unexpected error.'));
    this.maskError = (error) => {
      const masked = mask(error);
      if (masked !== error) options.logger?.error({ err: error }, 'subscription event failed');
      return masked;
    };
    this.outboxes = new OutboxPool(options.policy, options.metrics);
  }

  /** Joins (or starts) the group of `op`; resolves to the member's stream, or to the errors a fresh subscription would get. */
  async join(args: ExecutionArgs, op: SharedOperation, target: DeliveryTarget): Promise<ExecutionResult | AsyncIterableIterator<never>> {
    for (;;) {
      const entry = this.groups.get(op.key) ?? this.start(args, op);
      const group = await entry.ready;
      if (!(group instanceof SharedGroup)) return group;
      // a group that emptied while we waited is gone: start another
      if (!group.closed) return (target.member = group.addMember(this.outboxes.outboxFor(target.socket, target.request.socket), target));
    }
  }

  remove(group: SharedGroup): void {
    const entry = this.groups.get(group.op.key);
    if (entry?.group === group) this.groups.delete(group.op.key);
    const shape = this.shapes.get(group.op.shapeKey);
    if (shape && --shape.groups === 0) this.shapes.delete(group.op.shapeKey);
  }

  stats(): FanoutStats {
    let groups = 0;
    let members = 0;
    for (const { group } of this.groups.values()) {
      if (!group) continue;
      groups++;
      members += group.memberCount;
    }
    return { groups, members, shapes: this.shapes.size, behindConnections: this.outboxes.watcher.size };
  }

  private start(args: ExecutionArgs, op: SharedOperation): GroupEntry {
    const entry: GroupEntry = { ready: Promise.resolve(null as never), group: null };
    const forget = () => {
      if (this.groups.get(op.key) === entry) this.groups.delete(op.key);
    };
    entry.ready = (async () => {
      let source: Awaited<ReturnType<typeof createSourceEventStream>>;
      try {
        source = await createSourceEventStream(args);
      } catch (error) {
        forget();
        throw error;
      }
      if (!(Symbol.asyncIterator in source)) {
        forget(); // e.g. a bad argument: every joiner gets the errors; the next one tries afresh
        return source;
      }
      let shape = this.shapes.get(op.shapeKey);
      if (!shape) {
        shape = { cache: new Map(), groups: 0 };
        this.shapes.set(op.shapeKey, shape);
      }
      shape.groups++;
      entry.group = new SharedGroup(op, args, source, shape.cache, this);
      return entry.group;
    })();
    this.groups.set(op.key, entry);
    return entry;
  }
}
