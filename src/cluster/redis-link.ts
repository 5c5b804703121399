/**
 * This instance's two connections to Redis: `cmd` for commands and scripts, `sub` for pub/sub
 * (a subscribed connection can run nothing else). The link keeps the set of channels this
 * instance listens to and subscribes them again after every reconnect. It is "attached" while
 * both connections are ready and resubscribed; `up` and `down` fire on each change, so the
 * cluster parts can re-publish and catch up when Redis comes back (ioredis reconnects by itself).
 */
import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';

export interface RedisLinkEvents {
  up: [];
  down: [reason: string];
}

/** Reconnect quickly at first, then every 2 s at most. */
const retryStrategy = (attempt: number) => Math.min(100 * attempt, 2000);

type MessageHandler = (message: string) => void;

/** The name an instance's Redis connections carry (CLIENT LIST tells whether its process still runs). */
export const redisConnectionName = (instanceId: string) => `alltick-graphql:${instanceId}`;

export class RedisLink extends EventEmitter<RedisLinkEvents> {
  readonly cmd: Redis;
  readonly sub: Redis;
  private readonly channels = new Map<string, Set<MessageHandler>>();
  /** the SUBSCRIBE of each channel, settled once Redis confirmed it (or failed) */
  private readonly subscribing = new Map<string, Promise<void>>();
  /** the sub connection is ready and every channel subscribed again */
  private subReady = false;
  private isAttached = false;
  private lastError: string | null = null;
  private closing = false;

  constructor(
    url: string,
    private readonly logger: Logger,
    instanceId: string,
  ) {
    super();
    const common: RedisOptions = { retryStrategy, connectTimeout: 5000, connectionName: redisConnectionName(instanceId) };
    // Commands fail at once while Redis is away (no offline queue): a lease renewal or a publish
    // that would only be sent minutes later must fail now, not wait.
    this.cmd = new Redis(url, { ...common, enableOfflineQueue: false, enableAutoPipelining: true, commandTimeout: 2000, maxRetriesPerRequest: 1 });
    // Subscriptions may be queued while Redis is away; we resubscribe everything on `up` anyway.
    this.sub = new Redis(url, { ...common, autoResubscribe: false, maxRetriesPerRequest: null });
    this.cmd.on('ready', () => this.check());
    this.sub.on('ready', () => void this.resubscribe());
    for (const client of [this.cmd, this.sub]) {
      client.on('close', () => this.check());
      client.on('end', () => this.check());
      client.on('error', (err: Error) => this.onError(err));
    }
    this.sub.on('message', (channel: string, message: string) => {
      for (const handler of this.channels.get(channel) ?? []) handler(message);
    });
  }

  /** Calls `handler` with every message on `channel` (across reconnects); returns the function that stops it (idempotent). */
  listen(channel: string, handler: MessageHandler): () => void {
    let handlers = this.channels.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.channels.set(channel, handlers);
      if (this.sub.status === 'ready') this.track([channel], this.sub.subscribe(channel));
    }
    const entry: MessageHandler = (m) => handler(m);
    handlers.add(entry);
    return () => {
      const set = this.channels.get(channel);
      if (!set?.delete(entry) || set.size > 0) return;
      this.channels.delete(channel);
      this.subscribing.delete(channel);
      if (this.sub.status === 'ready') this.sub.unsubscribe(channel).catch((err: unknown) => this.onError(asError(err)));
    };
  }

  /**
   * Resolves once Redis has confirmed the subscription of `channel` (at once when nobody listens or
   * it is confirmed already), so a reader of a stream knows every later message reaches it.
   */
  async whenListening(channel: string): Promise<void> {
    await this.subscribing.get(channel);
  }

  private track(channels: string[], subscribed: Promise<unknown>): void {
    const settled = subscribed.then(
      () => undefined,
      (err: unknown) => this.onError(asError(err)),
    );
    for (const channel of channels) this.subscribing.set(channel, settled);
  }

  /** True while some handler listens to `channel`. */
  isListening(channel: string): boolean {
    return this.channels.has(channel);
  }

  /** True while both connections are ready. */
  get attached(): boolean {
    return this.isAttached;
  }

  /** Resolves once attached, or after `timeoutMs` (false). */
  async waitAttached(timeoutMs: number): Promise<boolean> {
    if (this.isAttached) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.off('up', onUp);
        resolve(false);
      }, timeoutMs);
      const onUp = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.once('up', onUp);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [this.cmd, this.sub].map(async (client) => {
        try {
          if (client.status === 'ready') await client.quit();
        } catch {
          // closing anyway
        }
        client.disconnect();
      }),
    );
    this.check();
  }

  /** After a (re)connect of `sub`: subscribe every channel again, then count as attached. */
  private async resubscribe(): Promise<void> {
    const channels = [...this.channels.keys()];
    try {
      if (channels.length > 0) {
        const subscribed = this.sub.subscribe(...channels);
        this.track(channels, subscribed);
        await subscribed;
      }
      this.subReady = this.sub.status === 'ready';
    } catch (error) {
      this.onError(asError(error));
    }
    this.check();
  }

  private check(): void {
    if (this.sub.status !== 'ready') this.subReady = false;
    const now = !this.closing && this.cmd.status === 'ready' && this.subReady;
    if (now === this.isAttached) return;
    this.isAttached = now;
    if (now) {
      this.lastError = null;
      this.logger.info('attached to Redis');
      this.emit('up');
    } else {
      const reason = this.closing ? 'closing' : `Redis unavailable${this.lastError ? `: ${this.lastError}` : ''}`;
      if (!this.closing) this.logger.warn({ reason }, 'lost Redis');
      this.emit('down', reason);
    }
  }

  /** ioredis reports every failed reconnect: log the first of a streak, the rest at debug. */
  private onError(err: Error): void {
    const message = err.message;
    if (this.lastError === null && !this.closing) this.logger.warn({ err: message }, 'Redis error');
    else this.logger.debug({ err: message }, 'Redis error');
    this.lastError = message;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
