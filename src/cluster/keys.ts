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
  /** when the last owner closed its upstream gracefully (epoch ms), so the next waits the plan's gap */
  readonly upstreamClosedAt: string;
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
    upstreamClosedAt: `${prefix}upstream-closed-at`,
    status: `${prefix}status`,
    statusChannel: `${prefix}status`,
    rejections: `${prefix}rejections`,
    demandChanged: `${prefix}demand-changed`,
    demand: (id) => `${prefix}demand:${id}`,
    demandPattern: `${escapeGlob(prefix)}demand:*`,
    last: (symbol) => `${prefix}last:${symbol}`,
    ticks: (symbol) => `${prefix}ticks:${symbol}`,
    history: (symbol) => `${prefix}trades:${symbol}`,
  };
}
