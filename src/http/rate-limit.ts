/**
 * Operations per second per client: one token bucket per client id (API key name, or address).
 * Buckets that have refilled are forgotten on a periodic sweep, so idle clients cost nothing.
 */
export class OperationRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; rate: number; burst: number }>();
  private takesSinceSweep = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Takes one token for `id`; false when the bucket is empty. A rate of 0 is unlimited. */
  take(id: string, rate: number, burst: number): boolean {
    if (rate <= 0) return true;
    const now = this.now();
    if (++this.takesSinceSweep >= 1000) this.sweep(now);
    const bucket = this.buckets.get(id) ?? { tokens: burst, at: now, rate, burst };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    bucket.rate = rate;
    bucket.burst = burst;
    this.buckets.set(id, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Seconds until `id` has a token again (for Retry-After). */
  retryAfterSeconds(id: string): number {
    const bucket = this.buckets.get(id);
    if (!bucket || bucket.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - bucket.tokens) / bucket.rate));
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.takesSinceSweep = 0;
    for (const [id, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * b.rate >= b.burst) this.buckets.delete(id);
    }
  }
}
