/**
 * One symbol cap for the cluster (SPEC §5, §6): the owner can hold only the plan's codes per
 * endpoint, so a subscribe that would take the union of every instance's symbols past that gets
 * UPSTREAM_CAPACITY at subscribe time, on whichever instance it arrives — never a symbol silently
 * left out upstream.
 *
 * Per endpoint one sorted set `<prefix>codes:<endpoint>` holds `<instanceId>\t<code>` members
 * scored with their expiry. A subscribe reserves its new codes with one Lua script (count the
 * union, refuse past the cap, else add ours: atomic, so two instances cannot both take the last
 * room). Each instance keeps its members equal to its demand (lingering codes included, as they
 * are still held upstream) on every demand write and refresh, so a released code leaves with the
 * demand's linger and a dead instance's codes expire with its demand key.
 */
import type { Redis } from 'ioredis';
import { endpointOf, ENDPOINTS, type Endpoint } from '../feed/alltick/symbols.js';
import { CapacityError } from '../feed/manager.js';
import type { ClusterKeys } from './keys.js';
import type { Demand } from './wire.js';

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Reserves codes for one instance unless the union would pass the cap. KEYS: the endpoint's set.
 * ARGV: instance id, TTL ms, cap, codes… Returns {1, union size} or {0, union size before}.
 */
const RESERVE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held, count = {}, 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local code = string.sub(member, string.find(member, '\\t', 1, true) + 1)
  if not held[code] then held[code] = true; count = count + 1 end
end
local union = count
for i = 4, #ARGV do
  if not held[ARGV[i]] then held[ARGV[i]] = true; union = union + 1 end
end
if union > tonumber(ARGV[3]) then return {0, count} end
local mine = ARGV[1] .. '\\t'
for i = 4, #ARGV do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), mine .. ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return {1, union}`;

/**
 * Makes one instance's members its demand's codes, with a fresh expiry, keeping (not adding) the
 * codes of subscribes in flight. KEYS: the set. ARGV: instance id, TTL ms, n, n demand codes, codes in flight…
 */
const SYNC = `${NOW}
local mine = ARGV[1] .. '\\t'
local expiry = now + tonumber(ARGV[2])
local last = 3 + tonumber(ARGV[3])
local keep = {}
for i = 4, #ARGV do keep[ARGV[i]] = true end
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(member, 1, #mine) == mine and not keep[string.sub(member, #mine + 1)] then redis.call('ZREM', KEYS[1], member) end
end
for i = 4, last do redis.call('ZADD', KEYS[1], expiry, mine .. ARGV[i]) end
for i = last + 1, #ARGV do redis.call('ZADD', KEYS[1], 'XX', expiry, mine .. ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if #ARGV > 3 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return 1`;

interface CapScripts {
  capReserve(set: string, instanceId: string, ttlMs: number, cap: number, ...codes: string[]): Promise<[number, number]>;
  capSync(set: string, instanceId: string, ttlMs: number, demanded: number, ...codes: string[]): Promise<number>;
}

function capScripts(redis: Redis): CapScripts {
  const definitions = { capReserve: RESERVE, capSync: SYNC } as const;
  for (const [name, lua] of Object.entries(definitions)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 1, lua });
  }
  // defineCommand adds the methods at run time; ioredis cannot type them
  return redis as unknown as CapScripts;
}

export interface ClusterSymbolCapOptions {
  redis: Redis;
  keys: ClusterKeys;
  instanceId: string;
  /** codes the upstream can hold per endpoint */
  capacity: Record<Endpoint, number>;
  /** how long a reservation lives without a refresh (the demand key's TTL) */
  ttlMs: number;
  /** this instance's demand as last handed to Redis */
  demand(): Demand;
  /** drops this instance's lingering symbols at once (they may make room); resolves once the demand shows it */
  dropLingering(): Promise<void>;
}

export class ClusterSymbolCap {
  private readonly scripts: CapScripts;
  /** codes of subscribes in flight or just reserved, which the demand may not show yet: until when a sync keeps them */
  private readonly pending = new Map<string, number>();

  constructor(private readonly opts: ClusterSymbolCapOptions) {
    this.scripts = capScripts(opts.redis);
  }

  /**
   * Reserves `symbols` for this instance in the cluster's cap; throws CapacityError when the union
   * of all instances would pass it (after giving up this instance's lingering symbols, as a single
   * instance would). Without Redis the subscribe goes ahead: no data flows then anyway, and the
   * demand it adds is reserved on the next write once Redis is back.
   */
  async admit(symbols: readonly string[]): Promise<void> {
    try {
      await this.tryAdmit(symbols);
    } catch (error) {
      if (error instanceof CapacityError) throw error;
    }
  }

  private async tryAdmit(symbols: readonly string[]): Promise<void> {
    const until = Date.now() + this.opts.ttlMs;
    for (const endpoint of ENDPOINTS) {
      const codes = [...new Set(symbols.filter((s) => endpointOf(s) === endpoint))];
      if (codes.length === 0) continue;
      for (const code of codes) this.pending.set(code, Math.max(until, this.pending.get(code) ?? 0));
      let ok = await this.reserve(endpoint, codes);
      if (!ok) {
        await this.opts.dropLingering();
        await this.sync(endpoint);
        ok = await this.reserve(endpoint, codes);
      }
      if (!ok) {
        for (const code of symbols) this.pending.delete(code);
        await this.syncAll().catch(() => undefined);
        throw new CapacityError(endpoint, this.opts.capacity[endpoint], codes);
      }
    }
  }

  /** Makes this instance's reservations equal to its demand (plus codes being subscribed), with a fresh TTL. */
  async syncAll(): Promise<void> {
    await Promise.all(ENDPOINTS.map((e) => this.sync(e)));
  }

  private async reserve(endpoint: Endpoint, codes: string[]): Promise<boolean> {
    const { keys, instanceId, ttlMs, capacity } = this.opts;
    const [ok] = await this.scripts.capReserve(keys.codes(endpoint), instanceId, ttlMs, capacity[endpoint], ...codes);
    return Number(ok) === 1;
  }

  private async sync(endpoint: Endpoint): Promise<void> {
    const now = Date.now();
    for (const [code, until] of this.pending) if (until <= now) this.pending.delete(code);
    const lists = this.opts.demand()[endpoint];
    const demanded = new Set([...lists.trades, ...lists.depth.map((e) => e.code)]);
    const inFlight = [...this.pending.keys()].filter((c) => endpointOf(c) === endpoint && !demanded.has(c));
    const { keys, instanceId, ttlMs } = this.opts;
    await this.scripts.capSync(keys.codes(endpoint), instanceId, ttlMs, demanded.size, ...demanded, ...inFlight);
  }
}
