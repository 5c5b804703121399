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
  /** codes that may be the culprit of the last rejection; null when no search runs */
  private suspects: string[] | null = null;
  /** suspects held back from the lists sent while the search runs */
  private heldBack = new Set<string>();
  /** isolated culprits, kept out of every list until they leave the desired list */
  private readonly blocked = new Set<string>();

  get searching(): boolean {
    return this.suspects !== null;
  }

  /** The codes of `desired` that may be sent now: no culprit, no held-back suspect. */
  filter<T>(desired: readonly T[], codeOf: (item: T) => string): T[] {
    if (this.blocked.size === 0 && this.heldBack.size === 0) return [...desired];
    return desired.filter((item) => !this.blocked.has(codeOf(item)) && !this.heldBack.has(codeOf(item)));
  }

  /** Forgets culprits no longer wanted, so a later request for them is tried afresh. */
  prune(desiredCodes: readonly string[]): void {
    const wanted = new Set(desiredCodes);
    for (const code of this.blocked) if (!wanted.has(code)) this.blocked.delete(code);
  }

  /** Upstream accepted `codes`; returns the culprit when this answer isolates it. */
  accepted(codes: readonly string[]): string | null {
    for (const code of codes) this.knownGood.add(code);
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
    return this.narrow(suspects);
  }

  private narrow(suspects: string[]): string | null {
    this.heldBack.clear();
    if (suspects.length === 0) {
      this.suspects = null;
      return null;
    }
    if (suspects.length === 1) {
      const culprit = suspects[0] as string;
      this.suspects = null;
      this.blocked.add(culprit);
      this.knownGood.delete(culprit);
      return culprit;
    }
    this.suspects = suspects;
    // probe the first half; hold the second half back
    for (const code of suspects.slice(Math.ceil(suspects.length / 2))) this.heldBack.add(code);
    return null;
  }
}
