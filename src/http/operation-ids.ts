/**
 * The operation ids of one graphql-ws connection, kept at the socket (ws-transport.ts).
 *
 * graphql-ws keeps one slot per id and frees it when a subscription's handler returns, which can
 * be well after the client's `complete` (the wait for its context, its teardown). A `subscribe`
 * that reuses the id meanwhile would share that slot: the old handler's end deletes the new
 * subscription's entry (it is dropped unseen), or the old one runs on unseen. So here:
 * - an id the client has not completed is in use: a second `subscribe` with it is refused (4409,
 *   as the protocol says);
 * - an id the client has completed is free for the client at once: a `subscribe` reusing it waits
 *   here until graphql-ws has finished with the old one, then goes to graphql-ws;
 * - a `complete` for such a waiting `subscribe` cancels it here (graphql-ws never saw it).
 */

/** graphql-ws runs this id's subscribe, and the client has not completed it */
const RUNNING = 0;
/** the client completed it; graphql-ws is still finishing it */
const COMPLETED = 1;
/** a string: the text of a subscribe reusing a completed id, waiting for graphql-ws to finish the old one */
type State = typeof RUNNING | typeof COMPLETED | string;

export class OperationIds {
  private readonly states = new Map<string, State>();

  /** A `subscribe` for `id`: `run` it now, `wait` (it is held here), or `refuse` it (the id is in use). */
  subscribe(id: string, text: string): 'run' | 'wait' | 'refuse' {
    const state = this.states.get(id);
    if (state === undefined) {
      this.states.set(id, RUNNING);
      return 'run';
    }
    if (state === COMPLETED) {
      this.states.set(id, text);
      return 'wait';
    }
    return 'refuse';
  }

  /** A `complete` for `id`: false when it only cancels a subscribe waiting here (graphql-ws must not see it). */
  complete(id: string): boolean {
    const state = this.states.get(id);
    if (state === undefined || state === COMPLETED) return true; // not ours to judge: graphql-ws ignores unknown ids
    this.states.set(id, COMPLETED);
    return state === RUNNING;
  }

  /** graphql-ws has finished `id`'s subscribe. Returns the subscribe that waited for that, now running. */
  ended(id: string): string | undefined {
    const state = this.states.get(id);
    if (typeof state !== 'string') {
      this.states.delete(id);
      return undefined;
    }
    this.states.set(id, RUNNING);
    return state;
  }
}
