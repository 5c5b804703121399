/**
 * The plan's REST limits per token (alltick-protocol.md §4.4), enforced only with
 * `restRateLimit: true`: a minimum gap between two calls of one method, a per-minute budget over
 * all methods, and a minimum gap between /batch-kline calls. The daily cap is not simulated.
 */
import type { Plan } from '../feed/alltick/plans.js';

interface TokenState {
  lastByPath: Map<string, number>;
  /** call times within the last minute */
  window: number[];
}

export class RestRateLimiter {
  private readonly tokens = new Map<string, TokenState>();

  constructor(private readonly plan: Plan) {}

  /** Records a call and tells whether it is within the plan's limits. */
  allow(token: string, path: string, method: string, now: number): boolean {
    let s = this.tokens.get(token);
    if (!s) this.tokens.set(token, (s = { lastByPath: new Map(), window: [] }));
    while (s.window.length > 0 && now - s.window[0]! >= 60_000) s.window.shift();
    const gap = method === 'batch-kline' ? this.plan.rest.batchKlineIntervalMs : this.plan.rest.perEndpointIntervalMs;
    const last = s.lastByPath.get(path);
    if ((last !== undefined && now - last < gap) || s.window.length >= this.plan.rest.perMinute) return false;
    s.lastByPath.set(path, now);
    s.window.push(now);
    return true;
  }
}
