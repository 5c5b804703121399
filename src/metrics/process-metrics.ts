/**
 * Node's default process metrics (process_*, nodejs_*): one set per process, included in every
 * server's `/metrics`. Everything a server owns is in server-metrics.ts and delivery-metrics.ts.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export const processRegistry = new Registry();

/** A count kept as a plain number on the hot path and handed to prom-client at scrape time. */
export interface Tally {
  count: number;
}

let defaultsOn = false;
/** Node's process_* and nodejs_* series; started by the first server, not at import. */
export function collectProcessDefaults(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: processRegistry });
}
