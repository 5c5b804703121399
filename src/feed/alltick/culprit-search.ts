/**
 * Finding the code that makes AllTick reject a whole subscribe list (ret 600 code invalid, 603
 * token level not enough, 604 code unauthorized): a subscribe request carries the full list, and
 * one bad code fails all of it, so upstream keeps the previous list and the new codes get nothing.
 *
 * The search bisects over the suspects — codes of the rejected list not yet seen in an accepted
 * one. While it runs, half of the suspects are held back from what the connection sends; each
 * answer halves the suspects, and the last one standing is the culprit. Every probe is an
 * ordinary list request, so the connection's spacing rules apply: a search over n suspects costs
 * about log2(n) requests, never a burst. Pure logic, one instance per connection and list type.
 */

/** Rets that mean "a code of this list is not acceptable", as opposed to "try again later". */
export const CODE_LEVEL_RETS: ReadonlySet<number> = new Set([600, 603, 604]);

export class CulpritSearch {
  /** codes seen in an accepted list (cleared when a rejection finds no other suspect) */
  private readonly knownGood = new Set<string>();
  /** untested codes of the rejected lists: held back unless probed, until the search ends */
  private readonly pool = new Set<string>();
  /** the codes one of which surely is a culprit; null when no search runs */
  private suspects: string[] | null = null;
  /** the suspects included in the next list */
  private probe = new Set<string>();
  /** isolated culprits, kept out of every list until they leave the desired list */
  private readonly blocked = new Set<string>();

  get searching(): boolean {
    return this.suspects !== null;
  }

  /** The items of `desired` that may be sent now: no culprit, no untested code outside the probe. */
  filter<T>(desired: readonly T[], codeOf: (item: T) => string): T[] {
    if (this.blocked.size === 0 && this.pool.size === 0) return [...desired];
    return desired.filter((item) => {
      const code = codeOf(item);
      return !this.blocked.has(code) && (!this.pool.has(code) || this.probe.has(code));
    });
  }

  /** Forgets culprits no longer wanted, so a later request for them is tried afresh. */
  prune(desiredCodes: readonly string[]): void {
    const wanted = new Set(desiredCodes);
    for (const code of this.blocked) if (!wanted.has(code)) this.blocked.delete(code);
  }

  /** Upstream accepted `codes`; returns the culprit when this answer isolates it. */
  accepted(codes: readonly string[]): string | null {
    for (const code of codes) {
      this.knownGood.add(code);
      this.pool.delete(code);
    }
    if (!this.suspects) return null;
    return this.narrow(this.suspects.filter((c) => !this.knownGood.has(c)));
  }

  /** Upstream rejected `codes` with a code-level ret; returns the culprit when it is isolated. */
  rejected(codes: readonly string[]): string | null {
    let suspects = codes.filter((c) => !this.knownGood.has(c) && !this.blocked.has(c));
    if (suspects.length === 0) {
      // every code was accepted before: something changed upstream, so trust nothing
      this.knownGood.clear();
      suspects = codes.filter((c) => !this.blocked.has(c));
    }
    for (const code of suspects) this.pool.add(code);
    return this.narrow(suspects);
  }

  private narrow(suspects: string[]): string | null {
    this.probe.clear();
    if (suspects.length <= 1) {
      // found (or nothing left to find): the untested rest goes out again, and is judged then
      this.suspects = null;
      this.pool.clear();
      const culprit = suspects[0];
      if (culprit === undefined) return null;
      this.blocked.add(culprit);
      this.knownGood.delete(culprit);
      return culprit;
    }
    this.suspects = suspects;
    for (const code of suspects.slice(0, Math.ceil(suspects.length / 2))) this.probe.add(code);
    return null;
  }
}
