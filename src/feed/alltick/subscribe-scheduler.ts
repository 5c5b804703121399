/**
 * One subscribe budget per token (alltick-protocol.md §3.3, design.md §5): subscription requests
 * of all of a token's connections go at least `gapMs` apart. Each list (endpoint connection ×
 * trades/depth) whose wanted state differs from what upstream holds waits here, remembered by the
 * time it first differed; at each slot the longest-waiting list that its connection can send now
 * goes, carrying its latest wanted state (the connection reads it when called, so changes made
 * while waiting are coalesced for free). A list that changes again after it went waits behind the
 * ones already waiting, so every change reaches upstream within (waiting lists + 1) × gap.
 * Pure logic: the clock is injected.
 */
import type { Clock } from './clock.js';

export interface ScheduledList {
  /** when the connection could send this list (its own 1 s spacing, a retry wait); Infinity while it cannot */
  readyAt(): number;
  /** sends the list's latest wanted state; false when there was nothing to send after all (it leaves the queue) */
  send(): boolean;
}

interface Waiting extends ScheduledList {
  /** when the wanted state first differed from what upstream holds */
  since: number;
}

/** A list waiting for a slot, for feedStatus. */
export interface WaitingList {
  key: string;
  since: number;
  /** roughly when it goes: its place in the queue × the gap, or later if its connection is not ready */
  expectedAt: number | null;
}

export class SubscribeScheduler {
  private readonly waiting = new Map<string, Waiting>();
  private lastSentAt = -Infinity;
  private timer: unknown;
  private timerAt = Infinity;

  constructor(
    readonly gapMs: number,
    private readonly clock: Clock,
  ) {}

  /**
   * The list `key` differs from what upstream holds. Keeps the time it first differed when it was
   * already waiting; `list` replaces the previous callbacks.
   */
  want(key: string, list: ScheduledList): void {
    const since = this.waiting.get(key)?.since ?? this.clock.now();
    this.waiting.set(key, { since, readyAt: () => list.readyAt(), send: () => list.send() });
    this.arm();
  }

  /** The list `key` matches what upstream holds (or its connection is gone): it waits no more. */
  settled(key: string): void {
    if (this.waiting.delete(key)) this.arm();
  }

  /** A waiting list's connection became ready sooner than it said: look again. */
  poke(): void {
    this.arm();
  }

  /** Earliest time the next subscription request may go, whoever sends it. */
  get nextSlotAt(): number {
    return this.lastSentAt + this.gapMs;
  }

  /** The waiting lists, longest-waiting first, with a rough time each goes. */
  queue(): WaitingList[] {
    const now = this.clock.now();
    let slot = Math.max(now, this.nextSlotAt);
    return [...this.waiting.entries()]
      .sort(([, a], [, b]) => a.since - b.since)
      .map(([key, w]) => {
        const ready = w.readyAt();
        if (ready === Infinity) return { key, since: w.since, expectedAt: null };
        const at = Math.max(slot, ready);
        slot = at + this.gapMs;
        return { key, since: w.since, expectedAt: at };
      });
  }

  stop(): void {
    this.clear();
    this.waiting.clear();
  }

  // -------------------------------------------------------------------------------------------

  /** Sets the timer for the next moment a waiting list could go. */
  private arm(): void {
    let ready = Infinity;
    for (const w of this.waiting.values()) ready = Math.min(ready, w.readyAt());
    const at = Math.max(this.nextSlotAt, ready);
    if (at === this.timerAt) return;
    this.clear();
    if (at === Infinity) return; // nothing waits, or no waiting list's connection can send
    this.timerAt = at;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.serve();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  private clear(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** One slot: the longest-waiting list that can go now goes. */
  private serve(): void {
    const now = this.clock.now();
    if (now >= this.nextSlotAt) {
      const ready = [...this.waiting.entries()].filter(([, w]) => w.readyAt() <= now).sort(([, a], [, b]) => a.since - b.since);
      for (const [key, w] of ready) {
        this.waiting.delete(key); // a connection that still has a change says so again (`want`)
        if (w.send()) {
          this.lastSentAt = now;
          break;
        }
      }
    }
    this.arm();
  }
}
