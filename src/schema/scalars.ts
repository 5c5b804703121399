import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.js';
import { echo } from '../clients/echo.js';

const DECIMAL = /^-?\d+(\.\d+)?$/;

function parseDecimal(value: unknown): string {
  if (typeof value === 'string' && DECIMAL.test(value)) return value;
  throw new GraphQLError(`Decimal must be a string such as "651.12"; got ${echo(value)}`);
}

builder.scalarType('Decimal', {
  description: 'An exact decimal, serialized as a JSON string exactly as received upstream, e.g. "651.12".',
  serialize: (value) => value,
  parseValue: parseDecimal,
  parseLiteral: (ast) => parseDecimal(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parseDateTime(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new GraphQLError(`DateTime must be an ISO-8601 string; got ${echo(value)}`);
  }
  return date;
}

builder.scalarType('DateTime', {
  description: 'An ISO-8601 UTC timestamp with milliseconds, e.g. "2026-11-26T05:25:54.123Z".',
  serialize: (value) => new Date(value).toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});
