/**
 * Whether each upstream endpoint is up, kept current from the feed status events, so every quote
 * can say cheaply whether it is `stale` and the `quotes` stream can tell its clients the moment
 * the feed of their symbols breaks or comes back.
 */
import { ENDPOINTS, endpointOf, type Endpoint } from './alltick/symbols.js';
import type { FeedStatus, FeedStatusSource } from './status.js';

export interface EndpointChange {
  endpoint: Endpoint;
  connected: boolean;
}

/**
 * An endpoint is up when its first connection is connected and none of its others is down, and
 * every connected one has had its lists acknowledged since it (re)connected: an open socket that
 * has not resubscribed yet delivers nothing, so its symbols are still stale.
 */
function endpointUp(status: FeedStatus, endpoint: Endpoint): boolean {
  const connections = status.connections.filter((c) => c.endpoint === endpoint);
  const live = (c: FeedStatus['connections'][number]) => c.state === 'connected' && c.resubscribed;
  return connections.some((c) => c.index === 0 && live(c)) && connections.every((c) => live(c) || c.state === 'idle' || c.state === 'stopped');
}

export class FeedHealth {
  private readonly up = new Map<Endpoint, boolean>();
  private readonly listeners = new Set<(change: EndpointChange) => void>();

  constructor(source: FeedStatusSource) {
    this.refresh(source.status());
    source.onStatusChange((status) => this.refresh(status));
  }

  /** True while the upstream connection of the symbol's endpoint is not connected, or not resubscribed yet. */
  isStale(symbol: string): boolean {
    return !this.up.get(cachedEndpointOf(symbol));
  }

  /** Calls `listener` each time an endpoint goes down or comes back; returns the function that stops it. */
  onChange(listener: (change: EndpointChange) => void): () => void {
    const entry = (change: EndpointChange) => listener(change);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  private refresh(status: FeedStatus): void {
    for (const endpoint of ENDPOINTS) {
      const connected = endpointUp(status, endpoint);
      const before = this.up.get(endpoint);
      this.up.set(endpoint, connected);
      if (before !== undefined && before !== connected) {
        for (const listener of this.listeners) listener({ endpoint, connected });
      }
    }
  }
}

/** endpointOf runs regexes; stale is asked for every event, so remember the answer per symbol. */
const endpoints = new Map<string, Endpoint>();
function cachedEndpointOf(symbol: string): Endpoint {
  let endpoint = endpoints.get(symbol);
  if (endpoint === undefined) {
    if (endpoints.size > 100_000) endpoints.clear(); // bounded: symbols are validated, but be safe
    endpoints.set(symbol, (endpoint = endpointOf(symbol)));
  }
  return endpoint;
}

const healthBySource = new WeakMap<FeedStatusSource, FeedHealth>();

/** The one FeedHealth of a status source (made on first use, lives as long as the source). */
export function healthOf(source: FeedStatusSource): FeedHealth {
  let health = healthBySource.get(source);
  if (!health) healthBySource.set(source, (health = new FeedHealth(source)));
  return health;
}
