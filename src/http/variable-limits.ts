/**
 * Variables are counted before anything coerces them: graphql-js and the complexity rule build one
 * error object per invalid list item, so a 90 KB list of 45,000 bad items stalled the event loop
 * for seconds. Past the cap the operation is refused (VARIABLES_TOO_LARGE); under it, coercion
 * stops at the first error in the guards and at 50 in execution (graphql-js's own cap).
 */
import type { GraphQLError } from 'graphql';
import { ErrorCode } from '../clients/error-codes.js';
import { clientError } from '../clients/client-errors.js';

/** Values in `variables`: every scalar, list item and object field counts one; stops counting past `max`. */
export function countValues(variables: unknown, max: number): number {
  let count = 0;
  const pending: unknown[] = [variables];
  while (pending.length > 0 && count <= max) {
    const value = pending.pop();
    if (Array.isArray(value)) {
      count += value.length;
      if (count <= max) pending.push(...(value as unknown[]));
    } else if (value !== null && typeof value === 'object') {
      const values: unknown[] = Object.values(value);
      count += values.length;
      if (count <= max) pending.push(...values);
    }
  }
  return count;
}

/** VARIABLES_TOO_LARGE when `variables` hold more than `maxValues` values (0: no limit), else null. */
export function variablesTooLarge(variables: unknown, maxValues: number): GraphQLError | null {
  if (maxValues <= 0 || countValues(variables ?? {}, maxValues) <= maxValues) return null;
  return clientError(ErrorCode.VariablesTooLarge, `variables too large: more than ${maxValues} values (list items and fields)`, 400, undefined, {
    limit: maxValues,
  });
}
