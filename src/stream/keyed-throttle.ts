/**
 * Conflation by request (`throttleMs`): per key (a symbol), at most one value per interval, and
 * the value passed on is always the latest. The first value of a quiet key goes out at once
 * (leading edge); values arriving within the interval wait, each replacing the one before, and
 * the last of them goes out when the interval ends (trailing edge), marked as conflated when it
 * replaced others. Any streaming field can use it in front of its outgoing queue.
 */
export type ThrottledEmit<T> = (value: T, conflated: boolean) => void;

interface Pending<T> {
  value: T;
  /** values replaced by a later one while waiting */
  replaced: number;
  timer: NodeJS.Timeout;
}

export class KeyedThrottle<T> {
  private readonly lastEmitAt = new Map<string, number>();
  private readonly pending = new Map<string, Pending<T>>();
  private closed = false;

  /** `intervalMs` 0 passes every value straight through. */
  constructor(
    private readonly intervalMs: number,
    private readonly emit: ThrottledEmit<T>,
  ) {}

  offer(key: string, value: T): void {
    if (this.closed) return;
    if (this.intervalMs <= 0) return this.emit(value, false);
    const waiting = this.pending.get(key);
    if (waiting) {
      waiting.value = value;
      waiting.replaced++;
      return;
    }
    const now = Date.now();
    const last = this.lastEmitAt.get(key);
    if (last === undefined || now - last >= this.intervalMs) {
      this.lastEmitAt.set(key, now);
      return this.emit(value, false);
    }
    const timer = setTimeout(() => this.flush(key), last + this.intervalMs - now);
    timer.unref();
    this.pending.set(key, { value, replaced: 0, timer });
  }

  /** Drops whatever waits; nothing is emitted afterwards. */
  close(): void {
    this.closed = true;
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private flush(key: string): void {
    const waiting = this.pending.get(key);
    if (!waiting || this.closed) return;
    this.pending.delete(key);
    this.lastEmitAt.set(key, Date.now());
    this.emit(waiting.value, waiting.replaced > 0);
  }
}
