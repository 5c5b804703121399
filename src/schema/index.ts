import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './quote.js';
import './symbols.js';
import './status.js';
import './trades.js';
import './orderbook.js';
import './candles.js';
import './static-info.js';

export const schema: GraphQLSchema = builder.toSchema();

/** The SDL checked in as schema.graphql. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
