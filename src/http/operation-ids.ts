/**
 * The operation ids of one graphql-ws connection, kept at the socket (ws-transport.ts).
 *
 * graphql-ws keeps one slot per id. Its `complete` empties the slot at once, but the old
 * subscription's handler runs on (the wait for its context, its teardown) and, when it ends,
 * deletes whatever the slot holds then. A `subscribe` reusing the id meanwhile would have its
 * entry deleted (dropped unseen), or the old one would take the slot back and run on, never
 * released. So here:
 * - an id the client has not completed is in use: a second `subscribe` with it is refused (4409,
 *   as the protocol says);
 * - an id the client has completed is free for the client at once: a `subscribe` reusing it waits
 *   here until graphql-ws has finished the old one, then goes to graphql-ws;
 * - a `complete` of such a waiting `subscribe` cancels it here (graphql-ws never saw it);
 * - nothing more goes out under a completed id until its reuse runs: a result or error of the old
 *   subscription that crosses the client's `complete` would look like the new one's.
 */

/** graphql-ws runs this id's subscribe, and the client has not completed it */
const RUNNING = 0;
/** the client completed it; graphql-ws is still finishing it */
const COMPLETED = 1;
/** a string: the text of a subscribe reusing a completed id, waiting for graphql-ws to finish the old one */
type State = typeof RUNNING | typeof COMPLETED | string;

export class OperationIds {
  private readonly states = new Map<string, State>();
  /** ids completed by the client whose old subscription graphql-ws is still finishing */
  private finishing = 0;

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

  /** A `complete` for `id`: `forward` it to graphql-ws, or it `cancelled` a subscribe waiting here. */
  complete(id: string): 'forward' | 'cancelled' {
    const state = this.states.get(id);
    if (state === undefined || state === COMPLETED) return 'forward'; // graphql-ws ignores unknown ids
    this.states.set(id, COMPLETED);
    if (state !== RUNNING) return 'cancelled';
    this.finishing++;
    return 'forward';
  }

  /** graphql-ws has finished `id`'s subscribe. Returns the subscribe that waited for that, now running. */
  ended(id: string): string | undefined {
    const state = this.states.get(id);
    if (state !== RUNNING && state !== undefined) this.finishing--;
    if (typeof state !== 'string') {
      this.states.delete(id);
      return undefined;
    }
    this.states.set(id, RUNNING);
    return state;
  }

  /** True when nothing may go out under `id` now: the client completed it. */
  silenced(id: string): boolean {
    const state = this.states.get(id);
    return state !== undefined && state !== RUNNING;
  }

  /** False while no completed subscription is finishing (nearly always): outgoing frames need no look. */
  get anySilenced(): boolean {
    return this.finishing > 0;
  }
}
