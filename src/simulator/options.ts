/**
 * Options of the simulator, their defaults, and the token rule shared by WS and REST.
 * Every default mirrors documented AllTick behaviour (alltick-protocol.md) or §7's suggestion.
 */
import type { Logger } from 'pino';
import { HEARTBEAT_TIMEOUT_MS, PLANS, REQUEST_SPACING_MS, TOKEN_SUBSCRIBE_SPACING_MS, type PlanName } from '../feed/alltick/plans.js';

export type SpacingViolationMode = '605' | '606-close';

export interface SimulatorOptions {
  /** listen address; default '127.0.0.1' */
  host?: string;
  /** listen port; default 0 (a free port) */
  port?: number;
  /** accepted tokens; unset = any non-empty token */
  tokens?: readonly string[];
  /** plan of every token: connection cap and codes per subscription; default 'basic' */
  plan?: PlanName;
  /** PRNG seed; default random (see `Simulator.seed`) */
  seed?: number;
  /** average automatic ticks per second per subscribed symbol, bursty; 0 = only forced pushes; default 2 */
  ticksPerSecond?: number;
  /** emit `seq`/`tick_time` as JSON integers in WS pushes (2026-06 docs); default false = strings */
  numericSeq?: boolean;
  /** unknown token on WS: HTTP 401 at upgrade (default) or accept, send a ret 401 frame and close 4401 */
  badTokenMode?: 'reject-upgrade' | 'frame-then-close';
  /** reject a whole subscribe with ret 600 when it holds a malformed or other-endpoint code; default false = drop them silently */
  strictCodes?: boolean;
  /** refuse well-formed codes outside the catalogue with ret 600, as AllTick does (default); false = invent prices for them (tests that need many symbols) */
  catalogueOnly?: boolean;
  /** minimum gap between two requests on one connection; default REQUEST_SPACING_MS (1000) */
  spacingMs?: number;
  /** answer to a request sent too soon: '606-close' (default: ret 606, then close 4006) or '605' (ret 605, request ignored) */
  spacingViolation?: SpacingViolationMode;
  /** gap between subscription requests (22002/22004/22006) across a token's connections that is counted as a violation; default TOKEN_SUBSCRIBE_SPACING_MS (3000) */
  tokenSpacingMs?: number;
  /** also reject token-wide violations (answered like `spacingViolation`); default false = only count them */
  enforceTokenSpacing?: boolean;
  /** close a connection that sent no heartbeat (22000) for this long, with close code 4000; default HEARTBEAT_TIMEOUT_MS (30000) */
  heartbeatTimeoutMs?: number;
  /** connections per token per endpoint; default PLANS[plan].connections */
  maxConnections?: number;
  /** one connection too many: 'close-606' (default: accept, send ret 606, close 4029) or 'reject-429' (HTTP 429 at upgrade) */
  connectionLimitMode?: 'close-606' | 'reject-429';
  /** codes kept per 22002/22004 list; default PLANS[plan].codesPerSubscription */
  codesPerSubscription?: number;
  /** enforce the plan's REST limits (§4.4) with HTTP 429 and ret 603; default false */
  restRateLimit?: boolean;
  /** most client frames kept in `record.frames` (oldest dropped first); default 100000 */
  recordLimit?: number;
  /** pino logger; default silent */
  logger?: Logger;
}

export type ResolvedOptions = Required<Omit<SimulatorOptions, 'tokens' | 'logger'>> & {
  tokens: ReadonlySet<string> | null;
  logger: Logger | null;
};

export function resolveOptions(options: SimulatorOptions = {}): ResolvedOptions {
  const plan = PLANS[options.plan ?? 'basic'];
  if (!plan) throw new Error(`unknown plan ${String(options.plan)}`);
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    tokens: options.tokens ? new Set(options.tokens) : null,
    plan: plan.name,
    seed: options.seed ?? Math.floor(Math.random() * 2 ** 32),
    ticksPerSecond: options.ticksPerSecond ?? 2,
    numericSeq: options.numericSeq ?? false,
    badTokenMode: options.badTokenMode ?? 'reject-upgrade',
    strictCodes: options.strictCodes ?? false,
    catalogueOnly: options.catalogueOnly ?? true,
    spacingMs: options.spacingMs ?? REQUEST_SPACING_MS,
    spacingViolation: options.spacingViolation ?? '606-close',
    tokenSpacingMs: options.tokenSpacingMs ?? TOKEN_SUBSCRIBE_SPACING_MS,
    enforceTokenSpacing: options.enforceTokenSpacing ?? false,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS,
    maxConnections: options.maxConnections ?? plan.connections,
    connectionLimitMode: options.connectionLimitMode ?? 'close-606',
    codesPerSubscription: options.codesPerSubscription ?? plan.codesPerSubscription,
    restRateLimit: options.restRateLimit ?? false,
    recordLimit: options.recordLimit ?? 100_000,
    logger: options.logger ?? null,
  };
}

export type TokenCheck = 'ok' | 'missing' | 'invalid';

/** The token rule of WS and REST: `?token=` must be present, and accepted when a token list is set. */
export function checkToken(token: string | null, tokens: ReadonlySet<string> | null): TokenCheck {
  if (token === null || token === '') return 'missing';
  if (tokens !== null && !tokens.has(token)) return 'invalid';
  return 'ok';
}
