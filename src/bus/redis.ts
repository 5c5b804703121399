/**
 * The Redis bus (cluster mode): every symbol's upstream events travel on its own channel,
 * `<prefix>ticks:<symbol>`. This instance subscribes a channel when the first local listener of
 * the symbol arrives and unsubscribes it when the last one leaves (instance-local ref counting).
 * Events from Redis go to `onEvent` (the local MarketFeed, whose cache drops repeated and older
 * seqs), and the snapshots it publishes fan out to local listeners through an in-process bus.
 */
import type { MarketEvent } from '../feed/alltick/protocol.js';
import type { SymbolSnapshot } from '../feed/cache.js';
import type { ClusterKeys } from '../cluster/keys.js';
import type { RedisLink } from '../cluster/redis-link.js';
import { decodeJson, eventOfMessage, tickMessageSchema } from '../cluster/wire.js';
import type { Logger } from '../logger.js';
import type { Bus } from './bus.js';
import { MemoryBus } from './memory.js';

export interface RedisBusOptions {
  link: RedisLink;
  keys: ClusterKeys;
  logger: Logger;
  /** an event from the symbol's channel */
  onEvent(event: MarketEvent): void;
  /** this instance started following the symbol (catch up from the shared cache) */
  onFollow(symbol: string): void;
  /** this instance stopped following the symbol */
  onUnfollow(symbol: string): void;
}

export class RedisBus implements Bus {
  private readonly local = new MemoryBus();
  private readonly followed = new Map<string, { refs: number; stop: () => void }>();
  private invalidMessages = 0;

  constructor(private readonly opts: RedisBusOptions) {}

  /** Local fan-out of a snapshot the MarketFeed built from a Redis event. */
  publish(snapshot: SymbolSnapshot): void {
    this.local.publish(snapshot);
  }

  subscribe(symbol: string, listener: (snapshot: SymbolSnapshot) => void): () => void {
    const unsubscribe = this.local.subscribe(symbol, listener);
    let entry = this.followed.get(symbol);
    if (!entry) {
      const stop = this.opts.link.listen(this.opts.keys.ticks(symbol), (text) => this.onMessage(symbol, text));
      entry = { refs: 0, stop };
      this.followed.set(symbol, entry);
      this.opts.onFollow(symbol);
    }
    entry.refs++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      unsubscribe();
      const current = this.followed.get(symbol);
      if (!current || --current.refs > 0) return;
      this.followed.delete(symbol);
      current.stop();
      this.opts.onUnfollow(symbol);
    };
  }

  /** True while this instance receives the symbol's events. */
  follows(symbol: string): boolean {
    return this.followed.has(symbol);
  }

  get followedSymbols(): string[] {
    return [...this.followed.keys()];
  }

  /** Number of symbols with a local listener (like MemoryBus.topicCount). */
  get topicCount(): number {
    return this.followed.size;
  }

  get invalidMessageCount(): number {
    return this.invalidMessages;
  }

  private onMessage(symbol: string, text: string): void {
    const message = decodeJson(tickMessageSchema, text);
    if (!message || message.event.symbol !== symbol) {
      if (this.invalidMessages++ % 1000 === 0) this.opts.logger.warn({ symbol }, 'invalid tick message in Redis dropped');
      return;
    }
    this.opts.onEvent(eventOfMessage(message));
  }
}
