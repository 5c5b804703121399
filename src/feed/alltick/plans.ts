/**
 * What each AllTick plan allows (alltick-protocol.md §3.2, §3.3, §4.4). Connections are counted
 * per token and per endpoint: a Basic token may hold one stock and one quote-b connection.
 */
export type PlanName = 'free' | 'basic' | 'premium' | 'professional';
export const PLAN_NAMES = ['free', 'basic', 'premium', 'professional'] as const;

export interface Plan {
  name: PlanName;
  /** WebSocket connections per endpoint */
  connections: number;
  /** codes per 22002 / 22004 list */
  codesPerSubscription: number;
  /** minimum gap between a connection closing and the next one opening */
  reconnectGapMs: number;
  rest: {
    /** minimum gap between two calls of one REST method */
    perEndpointIntervalMs: number;
    /** calls per minute across all REST methods */
    perMinute: number;
    /** codes per /trade-tick, /depth-tick, /static_info call */
    codesPerCall: number;
    /** minimum gap between /batch-kline calls, and groups per call */
    batchKlineIntervalMs: number;
    batchKlineGroups: number;
  };
}

export const PLANS: Record<PlanName, Plan> = {
  free: {
    name: 'free',
    connections: 1,
    codesPerSubscription: 5,
    reconnectGapMs: 10_000,
    rest: { perEndpointIntervalMs: 10_000, perMinute: 10, codesPerCall: 5, batchKlineIntervalMs: 10_000, batchKlineGroups: 5 },
  },
  basic: {
    name: 'basic',
    connections: 1,
    codesPerSubscription: 100,
    reconnectGapMs: 3_000,
    rest: { perEndpointIntervalMs: 1_000, perMinute: 60, codesPerCall: 50, batchKlineIntervalMs: 3_000, batchKlineGroups: 100 },
  },
  premium: {
    name: 'premium',
    connections: 3,
    codesPerSubscription: 200,
    reconnectGapMs: 3_000,
    rest: { perEndpointIntervalMs: 100, perMinute: 600, codesPerCall: 50, batchKlineIntervalMs: 2_000, batchKlineGroups: 200 },
  },
  professional: {
    name: 'professional',
    connections: 10,
    codesPerSubscription: 3000,
    reconnectGapMs: 3_000,
    rest: { perEndpointIntervalMs: 50, perMinute: 1200, codesPerCall: 50, batchKlineIntervalMs: 1_000, batchKlineGroups: 500 },
  },
};

/** Any two requests on one connection at least this far apart (§3.3). */
export const REQUEST_SPACING_MS = 1_000;
/** Subscription requests across all of a token's connections at least this far apart (§3.3). */
export const TOKEN_SUBSCRIBE_SPACING_MS = 3_000;
/** Heartbeat period and server-side timeout (§3.2). */
export const HEARTBEAT_INTERVAL_MS = 10_000;
export const HEARTBEAT_TIMEOUT_MS = 30_000;
