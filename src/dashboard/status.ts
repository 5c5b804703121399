/**
 * The feed status badge: what the dashboard tells its user about the data it shows.
 * - offline: the dashboard's own socket to this server is down (it keeps retrying);
 * - reconnecting: the server is up but its AllTick upstream is not connected;
 * - stale: everything is connected, yet no update arrived for the watched symbols for `staleMs`;
 * - connected: data is flowing.
 */
import type { FeedStatus } from './api.js';

export type BadgeState = 'connected' | 'reconnecting' | 'stale' | 'offline';

export interface BadgeInput {
  socketOpen: boolean;
  /** latest feedStatus, null until the first arrives */
  feed: FeedStatus | null;
  /** true while some symbol is watched */
  watching: boolean;
  /** when the latest quote event arrived, or when watching started if later (ms) */
  lastActivityAt: number;
  now: number;
  staleMs: number;
}

export interface Badge {
  state: BadgeState;
  label: string;
  detail: string;
}

export function badgeOf(input: BadgeInput): Badge {
  if (!input.socketOpen) return { state: 'offline', label: 'offline', detail: 'No connection to the server; retrying.' };
  const feed = input.feed;
  if (!feed) return { state: 'reconnecting', label: 'connecting', detail: 'Waiting for the feed status.' };
  if (!feed.connected) {
    const down = feed.connections.filter((c) => c.state !== 'CONNECTED');
    const detail = down.map((c) => `${c.endpoint.toLowerCase()}#${c.index} ${c.state.toLowerCase()}${c.reason ? `: ${c.reason}` : ''}`).join('\n');
    return { state: 'reconnecting', label: 'reconnecting', detail: `AllTick upstream not connected.\n${detail}` };
  }
  const quietMs = input.now - input.lastActivityAt;
  if (input.watching && quietMs > input.staleMs) {
    return { state: 'stale', label: 'stale', detail: `Connected, but no update for ${Math.round(quietMs / 1000)} s.` };
  }
  return { state: 'connected', label: 'connected', detail: 'Connected to AllTick; data is flowing.' };
}
