/**
 * Who a client is, as every layer sees it: the HTTP guards make one per request or socket
 * (src/http/client-guards.ts), the GraphQL context carries it to the resolvers.
 */
import type { Market } from '../feed/alltick/symbols.js';
import type { ClientLimits } from './limits.js';

export interface ClientIdentity {
  /** remote address of the TCP connection */
  address: string;
  /** name of the API key shown; null when authentication is off */
  keyName: string | null;
  /** what rate limits are counted against: the key, or else the address */
  id: string;
  /** markets this client may see; null = all */
  markets: ReadonlySet<Market> | null;
  limits: ClientLimits;
  /**
   * Clients with equal visibility keys see the same data for the same operation, so their results
   * may be shared (fan-out grouping); clients with different allowed markets never share.
   */
  visibilityKey: string;
}
