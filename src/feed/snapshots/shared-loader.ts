/**
 * A DataLoader shared by every request, in front of one REST method: keys asked for within
 * `windowMs` of each other (by one request or by many) go out as one batch; while a batch is in
 * flight (or waiting for the rate limiter) the next one keeps collecting keys, so a burst of
 * requests costs a handful of REST calls however many clients send it. Answers are cached for
 * `ttlMs`; failures are not cached.
 */
import DataLoader from 'dataloader';

export interface SharedLoaderOptions<K> {
  ttlMs: number;
  /** how long a new batch waits for more keys before it goes; default 5 ms */
  windowMs?: number;
  /** cache key of a key (default: the key itself) */
  cacheKey?: (key: K) => string;
  now?: () => number;
  /** most cached answers kept; the oldest go first; default 10 000 */
  maxEntries?: number;
}

/** DataLoader's cacheMap with an expiry per entry, that forgets a promise once it rejects. */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string): Promise<V> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires > this.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: Promise<V>): this {
    this.entries.delete(key); // re-insert: Map order is age order
    const entry = { value, expires: this.now() + this.ttlMs };
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    value.then(
      () => void (entry.expires = this.now() + this.ttlMs), // fresh from when the answer came, not when it was asked
      () => void (this.entries.get(key) === entry && this.entries.delete(key)),
    );
    return this;
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

export function sharedLoader<K, V>(batch: (keys: readonly K[]) => Promise<readonly (V | Error)[]>, options: SharedLoaderOptions<K>): DataLoader<K, V, string> {
  const windowMs = options.windowMs ?? 5;
  let inFlight: Promise<unknown> = Promise.resolve();
  return new DataLoader<K, V, string>(
    (keys) => {
      const answer = batch(keys);
      inFlight = answer.catch(() => undefined);
      return answer;
    },
    {
      cacheMap: new TtlCache<V>(options.ttlMs, options.now, options.maxEntries),
      cacheKeyFn: options.cacheKey ?? ((key) => String(key)),
      // one batch at a time: the next one goes when the window has passed and the previous is done
      batchScheduleFn: (dispatch) => {
        setTimeout(() => void inFlight.then(dispatch), windowMs);
      },
    },
  );
}

/** A loader for one request that hands its batches to a shared loader (per-request consistency). */
export function requestLoader<K, V>(shared: DataLoader<K, V, string>, cacheKey?: (key: K) => string): DataLoader<K, V, string> {
  const loader: DataLoader<K, V, string> = new DataLoader<K, V, string>(
    async (keys) => {
      const values = await shared.loadMany(keys);
      // a subscription's context lives long: let a later event ask again after a failure
      values.forEach((value, i) => value instanceof Error && loader.clear(keys[i] as K));
      return values;
    },
    { cacheKeyFn: cacheKey ?? ((key) => String(key)) },
  );
  return loader;
}
