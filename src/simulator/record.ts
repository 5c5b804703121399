/**
 * What clients did, for tests to assert a client's conduct: every frame they sent (with time and
 * cmd_id), every upgrade attempt and its outcome, every connection's open and close time per
 * endpoint, every REST call, and the spacing-violation counters.
 */
import type { Endpoint } from '../feed/alltick/symbols.js';

export interface RecordedFrame {
  sessionId: number;
  endpoint: Endpoint;
  token: string;
  /** epoch ms when the frame arrived */
  at: number;
  text: string;
  /** the frame's cmd_id when it parsed as JSON with a numeric cmd_id */
  cmd_id?: number;
}

export interface ConnectionRecord {
  sessionId: number;
  endpoint: Endpoint;
  token: string;
  openedAt: number;
  closedAt?: number;
  closeCode?: number;
  closeReason?: string;
}

export type UpgradeOutcome =
  'accepted' | 'not-found' | 'refused' | 'token-missing' | 'token-invalid' | 'token-invalid-frame' | 'connection-limit' | 'connection-limit-429';

export interface UpgradeAttempt {
  at: number;
  endpoint: Endpoint | null;
  /** 101 when the socket was upgraded (even if closed right after), else the HTTP status sent */
  status: number;
  outcome: UpgradeOutcome;
  sessionId?: number;
}

export interface RestCall {
  at: number;
  method: string;
  path: string;
  status: number;
  /** `ret` of the JSON answer */
  ret?: number;
}

export class SimulatorRecord {
  readonly frames: RecordedFrame[] = [];
  readonly connections: ConnectionRecord[] = [];
  readonly upgrades: UpgradeAttempt[] = [];
  readonly restCalls: RestCall[] = [];
  /** requests closer than `spacingMs` on one connection */
  spacingViolations = 0;
  /** subscription requests closer than `tokenSpacingMs` across one token's connections (counted even when not enforced) */
  tokenSpacingViolations = 0;

  constructor(private readonly frameLimit: number) {}

  addFrame(frame: RecordedFrame): void {
    this.frames.push(frame);
    if (this.frames.length > this.frameLimit) this.frames.splice(0, this.frames.length - this.frameLimit);
  }

  /** Frames with this cmd_id, optionally of one endpoint. */
  framesOf(cmdId: number, endpoint?: Endpoint): RecordedFrame[] {
    return this.frames.filter((f) => f.cmd_id === cmdId && (endpoint === undefined || f.endpoint === endpoint));
  }

  /** Open/close times of the accepted connections of one endpoint, in open order. */
  connectionsOf(endpoint: Endpoint): ConnectionRecord[] {
    return this.connections.filter((c) => c.endpoint === endpoint);
  }

  /**
   * For each closed connection of `endpoint`, the ms from its close to the next upgrade attempt on
   * that endpoint (accepted or not): how long a client waited before reconnecting.
   */
  reconnectGaps(endpoint: Endpoint): number[] {
    const attempts = this.upgrades.filter((u) => u.endpoint === endpoint).map((u) => u.at);
    const gaps: number[] = [];
    for (const c of this.connectionsOf(endpoint)) {
      if (c.closedAt === undefined) continue;
      const closedAt = c.closedAt;
      const next = attempts.find((at) => at >= closedAt);
      if (next !== undefined) gaps.push(next - closedAt);
    }
    return gaps;
  }

  /** Forgets everything recorded so far (connection records of live sessions are kept). */
  reset(): void {
    this.frames.length = 0;
    this.upgrades.length = 0;
    this.restCalls.length = 0;
    const open = this.connections.filter((c) => c.closedAt === undefined);
    this.connections.length = 0;
    this.connections.push(...open);
    this.spacingViolations = 0;
    this.tokenSpacingViolations = 0;
  }
}
