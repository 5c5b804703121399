/**
 * What a field costs for @pothos/plugin-complexity (docs/operations.md "Limits"): a field with symbols
 * costs symbols × depth (an order book of `depth` levels per symbol) and multiplies its selection
 * by the number of symbols; a list with `limit` multiplies by the limit; other lists by 10.
 */
import { getNullableType, isListType, type GraphQLField } from 'graphql';

export const DEFAULT_LIST_MULTIPLIER = 10;

export function fieldComplexity(
  args: Record<string, unknown>,
  _ctx: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the plugin passes its own Context type
  field: GraphQLField<unknown, any>,
): number | { field: number; multiplier: number } {
  const symbols = Array.isArray(args.symbols) ? args.symbols.length : typeof args.symbol === 'string' ? 1 : 0;
  if (symbols > 0) {
    const depth = typeof args.depth === 'number' && Number.isFinite(args.depth) ? Math.max(1, Math.min(args.depth, 1000)) : 1;
    return { field: symbols * depth, multiplier: symbols };
  }
  if (isListType(getNullableType(field.type))) {
    const limit = typeof args.limit === 'number' && Number.isFinite(args.limit) ? Math.max(1, args.limit) : DEFAULT_LIST_MULTIPLIER;
    return { field: 1, multiplier: limit };
  }
  return 1;
}
