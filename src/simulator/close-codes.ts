/**
 * WebSocket close codes the simulator uses. AllTick documents none (alltick-protocol.md, open
 * questions 1, 4, 5), so these are the simulator's choice: all in the 4000 range, each with a
 * reason text, so a client (and a test) can tell why it was dropped.
 */
export const SimCloseCode = {
  /** no heartbeat (22000) for `heartbeatTimeoutMs` (§3.2) */
  HeartbeatTimeout: 4000,
  /** a request broke the per-connection (or enforced token-wide) spacing; sent after a ret 606 ack (§3.3) */
  TooManyRequests: 4006,
  /** one connection more than the plan allows for this token and endpoint; sent after a ret 606 frame (§3.3) */
  ConnectionLimit: 4029,
  /** `badTokenMode: 'frame-then-close'`: sent after a ret 401 frame (§1.3) */
  TokenInvalid: 4401,
} as const;
export type SimCloseCode = (typeof SimCloseCode)[keyof typeof SimCloseCode];

export const SIM_CLOSE_REASONS: Record<SimCloseCode, string> = {
  4000: 'heartbeat timeout',
  4006: 'too many requests',
  4029: 'connection limit exceeded',
  4401: 'token invalid',
};
