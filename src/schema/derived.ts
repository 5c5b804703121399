/**
 * Fields derived from prices, exact (feed/decimal.ts): spread and mid of a book's best levels,
 * change against the previous daily close. Shared by Quote and OrderBook.
 */
import type { PriceLevel } from '../feed/alltick/protocol.js';
import { midpoint, percentChange, subtract } from '../feed/decimal.js';

export interface Top {
  bids: readonly PriceLevel[];
  asks: readonly PriceLevel[];
}

/** Best ask − best bid; null when a side is empty. */
export function spreadOf({ bids, asks }: Top): string | null {
  return bids[0] && asks[0] ? subtract(asks[0].price, bids[0].price) : null;
}

/** (best bid + best ask) / 2; null when a side is empty. */
export function midOf({ bids, asks }: Top): string | null {
  return bids[0] && asks[0] ? midpoint(bids[0].price, asks[0].price) : null;
}

export function changeOf(price: string | null, previousClose: string | null): string | null {
  return price !== null && previousClose !== null ? subtract(price, previousClose) : null;
}

export function changePercentOf(price: string | null, previousClose: string | null): string | null {
  return price !== null && previousClose !== null ? percentChange(price, previousClose) : null;
}
