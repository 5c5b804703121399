/**
 * Who is subscribed to what: per connection its trade list (22004) and depth list (22002), and the
 * reverse index code → subscribers used to fan a push out. A list is always replaced as a whole
 * (alltick-protocol.md §3.1). `onChange` fires when the set of subscribed codes may have changed.
 */

export interface Subscriber {
  readonly id: number;
  send(text: string): void;
}

export interface DepthEntry {
  code: string;
  depth_level: number;
}

export class SubscriptionIndex<S extends Subscriber = Subscriber> {
  private readonly tradeLists = new Map<S, readonly string[]>();
  private readonly depthLists = new Map<S, readonly DepthEntry[]>();
  private readonly tradeByCode = new Map<string, Set<S>>();
  private readonly depthByCode = new Map<string, Map<S, number>>();

  constructor(private readonly onChange: () => void = () => {}) {}

  tradeList(sub: S): readonly string[] {
    return this.tradeLists.get(sub) ?? [];
  }

  depthList(sub: S): readonly DepthEntry[] {
    return this.depthLists.get(sub) ?? [];
  }

  /** Replaces the trade list of `sub` (an empty list cancels it). */
  setTrade(sub: S, codes: readonly string[]): void {
    for (const code of this.tradeList(sub)) {
      const set = this.tradeByCode.get(code);
      set?.delete(sub);
      if (set?.size === 0) this.tradeByCode.delete(code);
    }
    if (codes.length === 0) this.tradeLists.delete(sub);
    else this.tradeLists.set(sub, [...codes]);
    for (const code of codes) {
      let set = this.tradeByCode.get(code);
      if (!set) this.tradeByCode.set(code, (set = new Set()));
      set.add(sub);
    }
    this.onChange();
  }

  /** Replaces the depth list of `sub` (an empty list cancels it). */
  setDepth(sub: S, entries: readonly DepthEntry[]): void {
    for (const { code } of this.depthList(sub)) {
      const map = this.depthByCode.get(code);
      map?.delete(sub);
      if (map?.size === 0) this.depthByCode.delete(code);
    }
    if (entries.length === 0) this.depthLists.delete(sub);
    else
      this.depthLists.set(
        sub,
        entries.map((e) => ({ ...e })),
      );
    for (const { code, depth_level } of entries) {
      let map = this.depthByCode.get(code);
      if (!map) this.depthByCode.set(code, (map = new Map<S, number>()));
      map.set(sub, depth_level);
    }
    this.onChange();
  }

  remove(sub: S): void {
    if (this.tradeLists.has(sub)) this.setTrade(sub, []);
    if (this.depthLists.has(sub)) this.setDepth(sub, []);
  }

  tradeSubscribers(code: string): ReadonlySet<S> {
    return this.tradeByCode.get(code) ?? EMPTY_SET;
  }

  /** subscriber → depth_level */
  depthSubscribers(code: string): ReadonlyMap<S, number> {
    return this.depthByCode.get(code) ?? EMPTY_MAP;
  }

  /** Every code that some connection subscribed, for trades or depth. */
  activeCodes(): Set<string> {
    return new Set([...this.tradeByCode.keys(), ...this.depthByCode.keys()]);
  }
}

const EMPTY_SET: ReadonlySet<never> = new Set<never>();
const EMPTY_MAP: ReadonlyMap<never, number> = new Map<never, number>();
