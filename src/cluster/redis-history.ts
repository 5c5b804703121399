/**
 * The cluster's trade history (SPEC §4, §6): per symbol a Redis stream `<prefix>trades:<symbol>`,
 * capped by count and age, that the owner appends to in the same atomic step that publishes the
 * trade (src/cluster/scripts.ts). The stream entry id is the trade's id on every instance, so a
 * client can resume on any instance, and `recentTrades` answers the same everywhere.
 */
import type { Redis } from 'ioredis';
import type { Trade } from '../feed/alltick/protocol.js';
import { compareIds } from '../feed/history/cursor.js';
import type { HistoryLimits, Replay, TradeHistory } from '../feed/history/trade-history.js';
import type { ClusterKeys } from './keys.js';
import type { RedisLink } from './redis-link.js';
import { decodeJson, eventOfMessage, tickMessageSchema } from './wire.js';

type StreamEntry = [id: string, fields: string[]];

/** How long a read waits for Redis (e.g. right after start) before it fails. */
const ATTACH_WAIT_MS = 5000;

export class RedisTradeHistory implements TradeHistory {
  /** one id space for the whole deployment: stream ids only grow */
  readonly epoch = 'redis';
  readonly shared = true;
  private readonly redis: Redis;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: ClusterKeys,
    readonly limits: HistoryLimits,
  ) {
    this.redis = link.cmd;
  }

  /** Trades reach this instance from Redis with their ids already: nothing to keep here. */
  append(): void {}

  async recent(symbol: string, limit: number): Promise<Trade[]> {
    await this.link.waitAttached(ATTACH_WAIT_MS);
    const entries = (await this.redis.xrevrange(this.keys.history(symbol), '+', '-', 'COUNT', limit)) as StreamEntry[];
    return this.decode(symbol, entries.reverse());
  }

  async since(symbol: string, id: string | null): Promise<Replay> {
    // a client may come back the moment a restarted instance listens, before it reached Redis
    await this.link.waitAttached(ATTACH_WAIT_MS);
    // live messages must be flowing before the history is read, or trades between the two are lost
    await this.link.whenListening(this.keys.ticks(symbol));
    const key = this.keys.history(symbol);
    // the range before the first entry: trimming in between can only make `complete` more cautious
    const [range, first] = await Promise.all([
      this.redis.xrange(key, id === null ? '-' : `(${id}`, '+') as Promise<StreamEntry[]>,
      this.redis.xrange(key, '-', '+', 'COUNT', 1) as Promise<StreamEntry[]>,
    ]);
    const firstId = first[0]?.[0];
    // complete when the oldest kept trade is not newer than the cursor: nothing after it was trimmed
    const complete = id !== null && firstId !== undefined && compareIds(firstId, id) <= 0;
    return { trades: this.decode(symbol, range), complete };
  }

  private decode(symbol: string, entries: StreamEntry[]): Trade[] {
    const trades: Trade[] = [];
    for (const [id, fields] of entries) {
      const message = decodeJson(tickMessageSchema, fields[1] ?? '');
      const event = message && eventOfMessage({ ...message, id });
      if (event?.kind === 'trade' && event.symbol === symbol) trades.push(event);
    }
    return trades;
  }
}
