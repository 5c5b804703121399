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
  /** its lists that differ from what upstream holds, waiting for a slot of the token's subscribe budget */
  waiting: WaitingListView[];
}

export interface WaitingListView {
  list: 'trades' | 'depth';
  /** symbols wanted on the list that upstream does not hold yet */
  symbols: string[];
  /** since when it waits (epoch ms) */
  since: number;
  /** roughly when it goes (epoch ms); null while its connection cannot send */
  expectedAt: number | null;
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
