/**
 * Client limits (docs/operations.md "Limits"): what one client may ask of the server. The server-wide
 * values come from the environment; an API key may carry its own. 0 means "no limit".
 */
import type { Config } from '../config.js';

export interface ClientLimits {
  /** symbols in one query or subscription field */
  maxSymbols: number;
  /** live subscriptions on one graphql-ws connection */
  maxSubscriptionsPerConnection: number;
  /** operations per second (token bucket refill rate), per API key or else per address */
  operationsPerSecond: number;
  /** operations allowed in one burst (token bucket size) */
  operationsBurst: number;
  /** depth of the selection set */
  maxQueryDepth: number;
  /** @pothos/plugin-complexity cost: a quotes field costs symbols × depth, its selections × symbols */
  maxQueryComplexity: number;
}

export function limitsFromConfig(config: Config): ClientLimits {
  return {
    maxSymbols: config.MAX_SYMBOLS,
    maxSubscriptionsPerConnection: config.MAX_SUBSCRIPTIONS_PER_CONNECTION,
    operationsPerSecond: config.OPERATIONS_PER_SECOND,
    operationsBurst: config.OPERATIONS_BURST,
    maxQueryDepth: config.MAX_QUERY_DEPTH,
    maxQueryComplexity: config.MAX_QUERY_COMPLEXITY,
  };
}
