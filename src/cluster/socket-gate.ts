/**
 * The plan's connection rules kept for the whole cluster (SPEC §5, §6): one socket per endpoint
 * and connection index at a time, and never a new one sooner than the reconnect gap after the last
 * close, whichever instance closed it and whatever closed it (a 606 / connection-limit close
 * restarts the gap like any other).
 *
 * Per endpoint and index Redis holds `socket:<endpoint>:<index>` = `<instanceId>|<refreshedAt>|<openUntil>`
 * while an instance may have that socket open, and `closed-at:<endpoint>` = the last close. The
 * holder refreshes its marker; `openUntil` is when AllTick would have dropped the socket of a
 * holder that stopped running (no heartbeat for the plan's timeout after its last refresh). Before
 * opening, the lease holder claims the marker with a fenced script that answers how long to wait:
 * until a marker of another instance is gone (closed, its process dead, or past `openUntil`),
 * then the gap from the latest close. A paused owner (SIGSTOP) past its lease therefore keeps the
 * successor waiting until it wakes and closes, or until AllTick has surely dropped its sockets.
 * Times are Redis's (TIME), so instances need not agree on the clock.
 */
import type { Redis } from 'ioredis';
import { jitterMargin, type SocketGate } from '../feed/alltick/connection.js';
import type { Endpoint } from '../feed/alltick/symbols.js';
import type { Logger } from '../logger.js';
import type { ClusterKeys } from './keys.js';
import type { OwnerLease } from './lease.js';
import { redisConnectionName } from './redis-link.js';

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** Parses a marker: holder, refreshedAt, openUntil. */
const PARSE = `
local function parse(marker)
  local by, refreshed, untilAt = string.match(marker, '^(.*)|(%d+)|(%d+)$')
  return by, tonumber(refreshed), tonumber(untilAt)
end`;

/**
 * KEYS: owner lease, socket marker, closed-at. ARGV: lease value, instance id, gap ms, open-until
 * span ms, refresh ms, a holder known dead ('' if none). Returns {1, 0, ''} once claimed, {0, wait
 * ms, holder} while to wait (holder: another instance that may still have the socket open), or
 * {-1, 0, ''} when the lease is not ours.
 */
const CLAIM = `${NOW}${PARSE}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1, 0, ''} end
local closedAt = tonumber(redis.call('GET', KEYS[3])) or 0
local marker = redis.call('GET', KEYS[2])
if marker then
  local by, refreshed, untilAt = parse(marker)
  if by and by ~= ARGV[2] then
    if by == ARGV[6] then
      -- its process is gone, its sockets with it: at the latest one refresh after its last
      closedAt = math.max(closedAt, math.min(now, refreshed + tonumber(ARGV[5])))
    elseif now >= untilAt then
      closedAt = math.max(closedAt, untilAt)
    else
      return {0, math.min(untilAt - now, 1000), by}
    end
  end
end
local wait = closedAt + tonumber(ARGV[3]) - now
if wait > 0 then return {0, wait, ''} end
local span = tonumber(ARGV[4])
redis.call('SET', KEYS[2], ARGV[2] .. '|' .. now .. '|' .. (now + span), 'PX', span + tonumber(ARGV[3]) + 60000)
return {1, 0, ''}`;

/** Keeps our markers current while their sockets may be open. KEYS: markers. ARGV: instance id, open-until span, gap ms. */
const REFRESH = `${NOW}${PARSE}
local span = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  local marker = redis.call('GET', key)
  if marker and parse(marker) == ARGV[1] then
    redis.call('SET', key, ARGV[1] .. '|' .. now .. '|' .. (now + span), 'PX', span + tonumber(ARGV[3]) + 60000)
  end
end
return 1`;

/** A socket closed: the gap restarts now, and our marker goes. KEYS: marker, closed-at. ARGV: instance id. */
const CLOSED = `${NOW}${PARSE}
local marker = redis.call('GET', KEYS[1])
if marker and parse(marker) == ARGV[1] then redis.call('DEL', KEYS[1]) end
local closedAt = tonumber(redis.call('GET', KEYS[2])) or 0
if now > closedAt then redis.call('SET', KEYS[2], now, 'PX', 3600000) end
return now`;

interface GateScripts {
  socketClaim(
    owner: string,
    marker: string,
    closedAt: string,
    lease: string,
    instanceId: string,
    gapMs: number,
    spanMs: number,
    refreshMs: number,
    deadHolder: string,
  ): Promise<[number, number, string]>;
  socketRefresh(numberOfKeys: number, ...args: (string | number)[]): Promise<number>;
  socketClosed(marker: string, closedAt: string, instanceId: string): Promise<number>;
}

function gateScripts(redis: Redis): GateScripts {
  if (!('socketClaim' in redis)) {
    redis.defineCommand('socketClaim', { numberOfKeys: 3, lua: CLAIM });
    redis.defineCommand('socketRefresh', { lua: REFRESH }); // number of keys given per call
    redis.defineCommand('socketClosed', { numberOfKeys: 2, lua: CLOSED });
  }
  // defineCommand adds the methods at run time; ioredis cannot type them
  return redis as unknown as GateScripts;
}

export interface ClusterSocketGateOptions {
  redis: Redis;
  keys: ClusterKeys;
  lease: OwnerLease;
  logger: Logger;
  /** the plan's minimum gap between a close and the next open */
  reconnectGapMs: number;
  /** how long AllTick keeps a socket that sends no heartbeat */
  heartbeatTimeoutMs: number;
  /** how often markers are refreshed */
  refreshMs: number;
}

export class ClusterSocketGate implements SocketGate {
  private readonly scripts: GateScripts;
  /** markers of the sockets this instance may have open */
  private readonly mine = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: ClusterSocketGateOptions) {
    this.scripts = gateScripts(opts.redis);
    this.timer = setInterval(() => void this.refresh(), opts.refreshMs);
    this.timer.unref();
  }

  /**
   * The wait after the last close. Upstream's clock sees the close earlier or later than Redis
   * records it, so the gap carries the same margin as a single instance's reconnect floor.
   */
  private get gapMs(): number {
    return this.opts.reconnectGapMs + jitterMargin(this.opts.reconnectGapMs);
  }

  /** How long after its last refresh a socket of a stopped holder may still be open. */
  private get spanMs(): number {
    return this.opts.refreshMs + this.opts.heartbeatTimeoutMs;
  }

  async waitToOpen(endpoint: Endpoint, index: number, cancelled: () => boolean): Promise<boolean> {
    const { keys, lease, logger } = this.opts;
    const marker = keys.socket(endpoint, index);
    let dead = '';
    let logged = '';
    for (;;) {
      const held = lease.current;
      if (!held || cancelled()) return false;
      let answer: [number, number, string];
      try {
        answer = await this.scripts.socketClaim(
          keys.owner,
          marker,
          keys.closedAt(endpoint),
          held.value,
          lease.instanceId,
          this.gapMs,
          this.spanMs,
          this.opts.refreshMs,
          dead,
        );
      } catch (error) {
        logger.debug({ err: String(error) }, 'socket claim failed; retrying');
        await sleep(250);
        continue;
      }
      const [status, waitMs, holder] = [Number(answer[0]), Number(answer[1]), String(answer[2])];
      if (status === -1) return false;
      if (status === 1) {
        this.mine.add(marker);
        return true;
      }
      if (holder && (await this.isGone(holder))) dead = holder;
      const why = holder ? `${holder} may still hold the ${endpoint} socket` : 'the plan gap after the last close';
      if (why !== logged) logger.info({ endpoint, index, waitMs }, `waiting before connecting upstream: ${why}`);
      logged = why;
      if (!(holder && dead === holder)) await sleep(Math.max(10, waitMs));
    }
  }

  closed(endpoint: Endpoint, index: number): Promise<void> {
    const marker = this.opts.keys.socket(endpoint, index);
    this.mine.delete(marker);
    return this.scripts.socketClosed(marker, this.opts.keys.closedAt(endpoint), this.opts.lease.instanceId).then(
      () => undefined,
      (error: unknown) => this.opts.logger.warn({ err: String(error), endpoint }, 'could not record the upstream close in Redis'),
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async refresh(): Promise<void> {
    if (this.mine.size === 0) return;
    await this.scripts.socketRefresh(this.mine.size, ...this.mine, this.opts.lease.instanceId, this.spanMs, this.opts.reconnectGapMs).catch(() => 0);
  }

  /** True when no Redis connection of `instanceId` is left: the process is gone, and its sockets closed with it. */
  private async isGone(instanceId: string): Promise<boolean> {
    try {
      const list = String(await this.opts.redis.client('LIST'));
      return !list.includes(` name=${redisConnectionName(instanceId)} `);
    } catch {
      return false; // cannot tell (e.g. CLIENT not permitted): wait for openUntil
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
