/**
 * Connections per client address: graphql-ws sockets and in-flight HTTP requests (an SSE stream
 * is one long request) counted per remote address. Behind a proxy every client shares the proxy's
 * address: raise or switch off the limit there (MAX_CONNECTIONS_PER_ADDRESS=0).
 */
export class AddressCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts one more for `address`; returns its release (idempotent), or null when over the limit. */
  acquire(address: string): (() => void) | null {
    const count = this.counts.get(address) ?? 0;
    if (this.max > 0 && count >= this.max) return null;
    this.counts.set(address, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(address) ?? 1) - 1;
      if (left <= 0) this.counts.delete(address);
      else this.counts.set(address, left);
    };
  }

  count(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  get addresses(): number {
    return this.counts.size;
  }
}
