/**
 * The Lua scripts that make the lease and its fencing atomic in Redis. The lease value is
 * `<instanceId>:<fence>`; every write of the owner (event, cache entry, status) checks that value
 * inside Redis, so an owner that lost its lease cannot write anything, however late its command
 * arrives. ioredis runs them with EVALSHA (loading them on first use).
 */
import type { Redis } from 'ioredis';

/** Takes the lease when free (SET NX PX), or back from a stale lease of this very instance; returns the new fence or null. */
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
local mine = ARGV[1] .. ':'
if current and string.sub(current, 1, #mine) ~= mine then return false end
local fence = redis.call('INCR', KEYS[2])
local value = mine .. fence
if current then
  redis.call('SET', KEYS[1], value, 'XX', 'PX', ARGV[2])
else
  redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[2])
end
return fence`;

/** Extends the lease when it is still ours: 1, else 0. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** Deletes the lease when it is still ours: 1, else 0. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * One upstream event: -1 when the lease is not ours (fenced out), 0 when the cache already holds
 * this or a newer update of that kind (same seq, or an older seq that is not later in time: the
 * rule of feed/cache.ts), else 1 after writing the cache entry and publishing on the symbol's channel.
 * A trade is first appended to the symbol's history stream (capped by count and age, both
 * approximately: `~` trims whole stream nodes) and travels with its entry id, which every instance
 * then uses as the trade's id: `{"id":"<entry id>","fence":…}`.
 * KEYS: owner, last:<symbol>, trades:<symbol>. ARGV: lease value, kind (trade|book), payload, seq,
 * time, channel, cache TTL ms, history max trades, history max age ms.
 */
const PUBLISH_EVENT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local kind, seq, time = ARGV[2], ARGV[4], tonumber(ARGV[5])
local prev = redis.call('HMGET', KEYS[2], kind .. ':seq', kind .. ':time')
if prev[1] then
  local p = prev[1]
  if p == seq then return 0 end
  local older = #seq < #p or (#seq == #p and seq < p)
  if older and time <= tonumber(prev[2]) then return 0 end
end
local message = ARGV[3]
if kind == 'trade' then
  local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], '*', 'm', ARGV[3])
  local now = redis.call('TIME')
  local oldest = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[9])
  redis.call('XTRIM', KEYS[3], 'MINID', '~', string.format('%d', oldest))
  redis.call('PEXPIRE', KEYS[3], ARGV[7])
  message = '{"id":"' .. id .. '",' .. string.sub(ARGV[3], 2)
end
redis.call('HSET', KEYS[2], kind, message, kind .. ':seq', seq, kind .. ':time', ARGV[5], 'last', kind)
redis.call('PEXPIRE', KEYS[2], ARGV[7])
redis.call('PUBLISH', ARGV[6], message)
return 1`;

/** The owner's upstream status: -1 when fenced out, else 1 after storing (with a TTL) and publishing it. */
const PUBLISH_STATUS = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1`;

export interface ClusterScripts {
  acquireLease(owner: string, fence: string, instanceId: string, ttlMs: number): Promise<number | null>;
  renewLease(owner: string, value: string, ttlMs: number): Promise<number>;
  releaseLease(owner: string, value: string): Promise<number>;
  publishEvent(
    owner: string,
    last: string,
    history: string,
    value: string,
    kind: 'trade' | 'book',
    payload: string,
    seq: string,
    time: number,
    channel: string,
    cacheTtlMs: number,
    historyMaxTrades: number,
    historyMaxAgeMs: number,
  ): Promise<number>;
  publishStatus(owner: string, statusKey: string, value: string, payload: string, ttlMs: number, channel: string): Promise<number>;
}

const DEFINITIONS: Record<keyof ClusterScripts, { numberOfKeys: number; lua: string }> = {
  acquireLease: { numberOfKeys: 2, lua: ACQUIRE },
  renewLease: { numberOfKeys: 1, lua: RENEW },
  releaseLease: { numberOfKeys: 1, lua: RELEASE },
  publishEvent: { numberOfKeys: 3, lua: PUBLISH_EVENT },
  publishStatus: { numberOfKeys: 2, lua: PUBLISH_STATUS },
};

/** Defines the scripts on a client (once per client) and returns them typed. */
export function clusterScripts(redis: Redis): ClusterScripts {
  const names = Object.keys(DEFINITIONS) as (keyof ClusterScripts)[];
  for (const name of names) {
    if (!(name in redis)) redis.defineCommand(name, DEFINITIONS[name]);
  }
  // defineCommand adds the methods at run time; ioredis cannot type them
  return redis as unknown as ClusterScripts;
}
