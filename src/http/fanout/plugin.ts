/**
 * The envelop plugin that routes shareable graphql-ws subscriptions into groups. graphql-ws marks
 * each subscription's context with its socket and operation id (`setDeliveryTarget`); for those,
 * when the operation is shareable, the plugin swaps the subscribe function for "join the group".
 * Every other plugin's hooks still run for every subscription (context, limits, error masking);
 * queries, mutations, SSE and unshareable operations take the ordinary path untouched.
 */
import type { Plugin } from 'graphql-yoga';
import type { Tally } from '../../metrics/process-metrics.js';
import { sharedOperation } from './operation-key.js';
import type { DeliveryTarget, FanoutRegistry } from './registry.js';

const TARGET = Symbol('fanout.deliveryTarget');

/** Marks a graphql-ws subscription's context with where its frames go. */
export function setDeliveryTarget(context: object, target: DeliveryTarget): void {
  Object.defineProperty(context, TARGET, { value: target, enumerable: false });
}

/**
 * For a subscription that joined a group: counts its frames in `frames` and calls `onEnd` when it
 * leaves the group (graphql-ws `onNext` never sees grouped frames), and returns true. A grouped
 * subscription then needs no hook on its stream. False for every other subscription.
 */
export function observeGroupedSubscription(context: unknown, frames: Tally, onEnd: () => void): boolean {
  const target = (context as FanoutContext | undefined)?.[TARGET];
  if (!target?.grouped) return false;
  target.frames = frames;
  target.onEnd = onEnd;
  return true;
}

/**
 * graphql-ws's `onOperation`: the stream graphql-ws should iterate for a subscription that joined
 * a group — its bare member, in place of the one envelop wrapped in one layer per plugin hook
 * (error masking, logging). A member never yields (its frames go straight to the socket) and its
 * group masks its errors itself, so the layers had nothing to do but hold memory for the
 * subscription's life (about 2 KiB). Undefined for every other operation: graphql-ws keeps its own.
 */
export function groupedStreamOf(context: unknown): AsyncIterableIterator<never> | undefined {
  return (context as FanoutContext | undefined)?.[TARGET]?.member;
}

/** Context fields the plugin reads: operations with different visibility keys never share. */
interface FanoutContext {
  [TARGET]?: DeliveryTarget;
  visibilityKey?: string;
}

export function useSharedSubscriptions(registry: FanoutRegistry): Plugin {
  return {
    onSubscribe({ args, setSubscribeFn }) {
      const context = args.contextValue as FanoutContext | undefined;
      const target = context?.[TARGET];
      if (!target) return;
      const visibilityKey = context.visibilityKey ?? '';
      const op = sharedOperation(args, visibilityKey);
      if (!op) return;
      target.grouped = true;
      // envelop keeps this function for the subscription's life: let go of the operation's keys
      // (~0.4 KiB of strings) once joined, as the group holds its own
      let joining: typeof op | null = op;
      setSubscribeFn((finalArgs) => {
        const shared = joining ?? sharedOperation(finalArgs, visibilityKey);
        joining = null;
        if (!shared) throw new Error('a shared subscription started twice'); // envelop calls it once
        return registry.join(finalArgs, shared, target);
      });
    },
  };
}
