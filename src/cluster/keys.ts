import type { Endpoint } from '../feed/alltick/symbols.js';

/**
 * Every Redis key and channel of one deployment, all under REDIS_PREFIX (SPEC §6), so several
 * deployments can share one Redis: pub/sub channels are not separated by database index.
 */
export interface ClusterKeys {
  readonly prefix: string;
  /** the upstream lease: `<instanceId>:<fence>`, with a TTL the owner renews */
  readonly owner: string;
  /** fencing counter, INCR'd on every acquisition */
  readonly fence: string;
  /** the last upstream close of an endpoint (Redis time, ms): every owner waits the plan's gap from it */
  closedAt(endpoint: Endpoint): string;
  /** `<instanceId>|<refreshedAt>|<openUntil>` while that instance may have this socket open */
  socket(endpoint: Endpoint, index: number): string;
  /** the owner's upstream status (JSON, short TTL) */
  readonly status: string;
  /** channel of the owner's status updates */
  readonly statusChannel: string;
  /** channel of codes AllTick refused (the owner tells every instance) */
  readonly rejections: string;
  /** channel on which an instance announces that its demand changed */
  readonly demandChanged: string;
  /** one instance's wanted lists (JSON, TTL refreshed by the instance) */
  demand(instanceId: string): string;
  /** SCAN pattern matching every instance's demand key */
  readonly demandPattern: string;
  /** the token's shared REST budget: last call time per method (hash), booked call times (zset), pause after a 429 */
  readonly restLastCall: string;
  readonly restWindow: string;
  readonly restPausedUntil: string;
  /** the cluster's symbol cap of one endpoint: `<instanceId>\t<code>` members scored with their expiry (zset) */
  codes(endpoint: Endpoint): string;
  /** last trade and book of one symbol (hash) */
  last(symbol: string): string;
  /** channel carrying one symbol's upstream events */
  ticks(symbol: string): string;
  /** one symbol's trade history (a capped stream; the entry id is the trade's id) */
  history(symbol: string): string;
}

/** Escapes SCAN/KEYS glob characters so a prefix such as `app[1]:` matches only itself. */
function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export function clusterKeys(prefix: string): ClusterKeys {
  return {
    prefix,
    owner: `${prefix}owner`,
    fence: `${prefix}fence`,
    closedAt: (endpoint) => `${prefix}closed-at:${endpoint}`,
    socket: (endpoint, index) => `${prefix}socket:${endpoint}:${index}`,
    status: `${prefix}status`,
    statusChannel: `${prefix}status`,
    rejections: `${prefix}rejections`,
    demandChanged: `${prefix}demand-changed`,
    demand: (id) => `${prefix}demand:${id}`,
    demandPattern: `${escapeGlob(prefix)}demand:*`,
    restLastCall: `${prefix}rest:last-call`,
    restWindow: `${prefix}rest:window`,
    restPausedUntil: `${prefix}rest:paused-until`,
    codes: (endpoint) => `${prefix}codes:${endpoint}`,
    last: (symbol) => `${prefix}last:${symbol}`,
    ticks: (symbol) => `${prefix}ticks:${symbol}`,
    history: (symbol) => `${prefix}trades:${symbol}`,
  };
}
