/**
 * Configuration from the environment (SPEC §2), parsed and validated with zod at start-up.
 * A bad value stops the server with a message that names the variable.
 */
import { z } from 'zod';
import { PLAN_NAMES } from './feed/alltick/plans.js';
import { parseTrustProxy } from './trust-proxy.js';
import { DEFAULT_HISTORY_LIMITS, type HistoryLimits } from './feed/history/trade-history.js';
import { DEFAULT_TICK_TIME_WINDOW, type TickTimeWindow } from './feed/alltick/protocol.js';
import { DEFAULT_REST_MAX_BYTES } from './feed/alltick/rest.js';

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce
  .number()
  .int()
  .min(0)
  .max(24 * 3600 * 1000);
const url = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((u) => protocols.includes(new URL(u).protocol), `must start with ${protocols.join(' or ')}`);
/** A limit; 0 switches it off. */
const limit = (max: number) => z.coerce.number().int().min(0).max(max);
/** An operation rate per second (here and in API keys): fractions allowed (0.2 = one every 5 s); 0 switches it off. */
export const operationRate = (n: z.ZodNumber) => n.max(1_000_000).refine((r) => r === 0 || r >= 0.001, 'at least 0.001 (one every 1,000 s), or 0: off');
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const tokenList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  )
  .optional();

/** A JSON object in one variable, validated with `schema`. */
const jsonObject = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
        return z.NEVER;
      }
    })
    .pipe(schema);

/**
 * Upstream timing overrides as JSON, e.g. `{"requestSpacingMs":50,"reconnectGapMs":200}`: for
 * tests and benchmarks that run the server as a process against a fast simulator. Not for AllTick.
 */
const upstreamTimings = jsonObject(
  z
    .object({
      heartbeatIntervalMs: positiveMs,
      requestSpacingMs: positiveMs,
      subscribeSpacingMs: positiveMs,
      ackTimeoutMs: positiveMs,
      reconnectGapMs: positiveMs,
      maxBackoffMs: positiveMs,
    })
    .partial()
    .strict(),
);

/**
 * Cluster timing overrides as JSON, e.g. `{"leaseTtlMs":2000,"leaseRenewMs":600}`: for tests that
 * run several instances and want failovers and expiries to be quick.
 */
const clusterTimings = jsonObject(
  z
    .object({
      leaseTtlMs: positiveMs,
      leaseRenewMs: positiveMs,
      leaseAcquireMs: positiveMs,
      demandTtlMs: positiveMs,
      demandRefreshMs: positiveMs,
      reconcileMs: positiveMs,
    })
    .partial()
    .strict(),
);

const trustProxy = z.string().transform((text, ctx) => {
  try {
    return parseTrustProxy(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
/** Browser origins (`https://app.example.com`) allowed to send credentials. */
const originList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().refine((o) => URL.canParse(o) && new URL(o).origin === o, 'each entry must be an origin such as https://app.example.com')));

const envSchema = z.object({
  PORT: port.default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  ALLTICK_TOKEN: z.string().min(1).optional(),
  ALLTICK_WS_URL: url(['ws:', 'wss:']).default('wss://quote.alltick.co'),
  ALLTICK_API_URL: url(['http:', 'https:']).default('https://quote.alltick.co'),
  ALLTICK_PLAN: z.enum(PLAN_NAMES).default('basic'),
  LINGER_MS: positiveMs.default(5000),
  ALLTICK_SUBSCRIBE_GAP_MS: z.coerce.number().int().min(0).max(60_000).default(3000),
  MAX_SYMBOLS: z.coerce.number().int().min(1).max(10_000).default(100),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_PREFIX: z.string().min(1).default('alltick-graphql:'),
  ALLTICK_TIMINGS: upstreamTimings.optional(),
  CLUSTER_TIMINGS: clusterTimings.optional(),
  // a hostile or broken upstream (docs/operations.md "Upstream faults"): pushes stamped outside this window of now
  // are dropped as invalid frames; REST answers larger than this are aborted while they stream
  UPSTREAM_TICK_MAX_AGE_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(365 * 24 * 3_600_000)
    .default(DEFAULT_TICK_TIME_WINDOW.maxAgeMs),
  UPSTREAM_TICK_MAX_AHEAD_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 3_600_000)
    .default(DEFAULT_TICK_TIME_WINDOW.maxAheadMs),
  UPSTREAM_REST_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 ** 3)
    .default(DEFAULT_REST_MAX_BYTES),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SIMULATOR_PORT: port.default(7070),
  SIMULATOR_TOKENS: tokenList,
  // client limits (docs/operations.md "Limits"); 0 = no limit
  MAX_SUBSCRIPTIONS_PER_CONNECTION: limit(100_000).default(100),
  MAX_CONNECTIONS_PER_ADDRESS: limit(1_000_000).default(100),
  OPERATIONS_PER_SECOND: operationRate(z.coerce.number()).default(50),
  OPERATIONS_BURST: z.coerce.number().int().min(1).max(1_000_000).default(100),
  MAX_QUERY_DEPTH: limit(1000).default(10),
  MAX_QUERY_COMPLEXITY: limit(100_000_000).default(10_000),
  WS_MAX_PAYLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(64 * 1024),
  // checked before a document is parsed (src/http/document-limits.ts)
  MAX_QUERY_BYTES: limit(64 * 1024 * 1024).default(32 * 1024),
  MAX_QUERY_TOKENS: limit(10_000_000).default(5000),
  /** values (list items, fields, scalars) in one operation's variables; keep it ≥ MAX_SYMBOLS */
  MAX_VARIABLE_VALUES: limit(10_000_000).default(1000),
  /** estimated heap of the parsed-document cache (text + AST) */
  DOCUMENT_CACHE_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(1024 ** 3)
    .default(32 * 1024 * 1024),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(100 * 1024),
  CONNECTION_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(3000),
  // client authentication (off unless API_KEYS_FILE is set)
  API_KEYS_FILE: z.string().min(1).optional(),
  GRAPHIQL: bool.default(true),
  INTROSPECTION: bool.default(true),
  /** reverse proxies to believe about X-Forwarded-For: a hop count or their addresses */
  TRUST_PROXY: trustProxy.optional(),
  CORS_ORIGINS: originList.optional(),
  /** outgoing bytes a WebSocket connection may have waiting before it counts as a slow consumer */
  SLOW_CONSUMER_BUFFER_BYTES: z.coerce
    .number()
    .int()
    .min(4096)
    .max(1024 ** 3)
    .default(1024 * 1024),
  /** trade history per symbol (recentTrades, resumed `trades`): at most this many trades… */
  TRADE_HISTORY_SIZE: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_HISTORY_LIMITS.maxTrades),
  /** …none older than this (ms since they arrived) */
  TRADE_HISTORY_MAX_AGE_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(7 * 24 * 3600 * 1000)
    .default(DEFAULT_HISTORY_LIMITS.maxAgeMs),
  /** how long a slow consumer of every-event streams may stay behind before it is closed with 4008 */
  SLOW_CONSUMER_EVICT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
});

export type Config = z.infer<typeof envSchema>;

export function historyLimitsOf(config: Config): HistoryLimits {
  return { maxTrades: config.TRADE_HISTORY_SIZE, maxAgeMs: config.TRADE_HISTORY_MAX_AGE_MS };
}

/** The window of now that upstream pushes must be stamped in. */
export function tickTimeWindowOf(config: Config): TickTimeWindow {
  return { maxAgeMs: config.UPSTREAM_TICK_MAX_AGE_MS, maxAheadMs: config.UPSTREAM_TICK_MAX_AHEAD_MS };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment; empty strings count as unset. Throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const name = String(i.path[0] ?? '?');
    const shown = name === 'ALLTICK_TOKEN' ? '(hidden)' : JSON.stringify(env[name]);
    return `${name}=${shown}: ${i.message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}
