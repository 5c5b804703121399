/**
 * Feed status as clients see it: per upstream connection, its state, since when, reconnects,
 * the lists it holds and when it last heard from AllTick.
 */
import type { ConnectionState, UpstreamErrorInfo } from './alltick/connection.js';
import type { Endpoint } from './alltick/symbols.js';
import type { RestStatus } from './alltick/rest.js';

export interface ConnectionStatusView {
  endpoint: Endpoint;
  index: number;
  state: ConnectionState;
  reason: string | null;
  since: number;
  reconnects: number;
  resubscribed: boolean;
  lastMessageAt: number | null;
  /** the latest error AllTick answered on this connection, kept after it recovers */
  lastError: UpstreamErrorInfo | null;
  trades: string[];
  depth: string[];
}

export interface FeedStatus {
  /** true when every endpoint's first connection is up */
  connected: boolean;
  connections: ConnectionStatusView[];
  /** the REST client's health; null where this instance makes no REST calls */
  rest: RestStatus | null;
}

/** Where the schema reads feed status from (the local upstream, or the shared bus). */
export interface FeedStatusSource {
  status(): FeedStatus;
  /** Calls `listener` on every status change; returns the function that stops it. */
  onStatusChange(listener: (status: FeedStatus) => void): () => void;
}
