/**
 * The single-instance topology (no REDIS_URL): this process runs the AllTick upstream for its own
 * clients. upstream → feed manager (ref counts, linger) → last-value cache → in-memory bus.
 */
import { historyLimitsOf, tickTimeWindowOf, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import { MemoryBus } from '../bus/memory.js';
import type { Plan } from '../feed/alltick/plans.js';
import { RET_MESSAGES } from '../feed/alltick/protocol.js';
import type { AllTickRestClient } from '../feed/alltick/rest.js';
import { MarketFeed } from '../feed/feed.js';
import { MemoryTradeHistory } from '../feed/history/trade-history.js';
import { FeedManager, SymbolRejectedError } from '../feed/manager.js';
import { AllTickUpstream, type UpstreamOptions } from '../feed/upstream.js';
import type { Topology } from './topology.js';

export interface SingleInstanceOptions {
  config: Config;
  logger: Logger;
  wsBaseUrl: string;
  token: string;
  plan: Plan;
  rest: AllTickRestClient;
  timings?: UpstreamOptions['timings'];
  /** how long stop() lets the emptied lists reach AllTick before closing the sockets */
  settleMs: number;
}

export function startSingleInstance({ config, logger, wsBaseUrl, token, plan, rest, timings, settleMs }: SingleInstanceOptions): Topology {
  const upstream = new AllTickUpstream({
    wsBaseUrl,
    token,
    plan,
    logger,
    subscribeGapMs: config.ALLTICK_SUBSCRIBE_GAP_MS,
    tickTimeWindow: tickTimeWindowOf(config),
    ...(timings && { timings }),
  });
  const manager = new FeedManager({ sink: upstream, lingerMs: config.LINGER_MS, capacity: upstream.capacity });
  const feed = new MarketFeed(manager, new MemoryBus(), null, null, new MemoryTradeHistory(historyLimitsOf(config)));
  upstream.attachRest(rest);
  upstream.on('event', (event) => feed.ingest(event));
  upstream.on('status', (s) =>
    logger.info({ endpoint: s.endpoint, index: s.index, state: s.state, reason: s.reason, resubscribed: s.resubscribed }, 'upstream status'),
  );
  // a code upstream refuses ends only the subscriptions that asked for it
  upstream.on('codeRejected', ({ code, error }) => manager.failSymbol(new SymbolRejectedError(code, error.ret, RET_MESSAGES[error.ret] ?? 'rejected')));
  upstream.start();

  return {
    feed,
    manager,
    upstream,
    status: upstream,
    restChanged: () => upstream.restChanged(),
    ready: () => upstream.connected,
    stop: async () => {
      manager.clear(); // empty every upstream list…
      await Promise.resolve(); // …(the manager hands lists over in a microtask)…
      await upstream.stop(settleMs); // …and give the cancel a moment to reach AllTick
    },
  };
}
