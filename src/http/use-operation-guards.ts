/**
 * Envelop plugin run for every operation on every transport (HTTP, SSE, graphql-ws), before any
 * resolver or subscription source: operations per second per client (RATE_LIMITED), allowed
 * markets of the client's API key on every `symbol`/`symbols` argument (FORBIDDEN), and query
 * depth and complexity with @pothos/plugin-complexity's rule (QUERY_TOO_DEEP, QUERY_TOO_COMPLEX).
 */
import {
  getArgumentValues,
  GraphQLError,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  BREAK,
  type ExecutionArgs,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { createComplexityRule } from '@pothos/plugin-complexity';
import { marketOf } from '../feed/alltick/symbols.js';
import type { Context } from '../schema/context.js';
import type { ClientGuards, ClientIdentity } from './client-guards.js';
import { ClientErrorCode, clientError } from './client-errors.js';

export function useOperationGuards(guards: ClientGuards): Plugin<Context> {
  const check = (args: ExecutionArgs): GraphQLError | null => {
    const ctx = args.contextValue as Partial<Context> | undefined;
    const client = ctx?.client;
    if (!client) return null;
    const error = rateLimit(guards, client) ?? forbiddenSymbol(args, client) ?? tooComplex(args, client);
    if (error) guards.countRefusal(error.extensions.code as ClientErrorCode);
    return error;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

function rateLimit(guards: ClientGuards, client: ClientIdentity): GraphQLError | null {
  const { operationsPerSecond, operationsBurst } = client.limits;
  if (guards.rateLimiter.take(client.id, operationsPerSecond, operationsBurst)) return null;
  const retryAfter = guards.rateLimiter.retryAfterSeconds(client.id);
  return clientError(
    ClientErrorCode.RateLimited,
    `too many operations: at most ${operationsPerSecond} per second (bursts of ${operationsBurst}); retry in ${retryAfter} s`,
    429,
    { 'retry-after': String(retryAfter) },
  );
}

/** The first `symbol`/`symbols` value outside the client's allowed markets. */
function forbiddenSymbol(args: ExecutionArgs, client: ClientIdentity): GraphQLError | null {
  const allowed = client.markets;
  if (!allowed) return null;
  const typeInfo = new TypeInfo(args.schema);
  let error: GraphQLError | null = null;
  visit(
    args.document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const field = typeInfo.getFieldDef();
        if (!field || !field.args.some((a) => a.name === 'symbol' || a.name === 'symbols')) return undefined;
        let values: Record<string, unknown>;
        try {
          values = getArgumentValues(field, node, (args.variableValues ?? {}));
        } catch {
          return undefined; // bad arguments: execution reports them
        }
        const given = [values.symbol, values.symbols].flat().filter((s): s is string => typeof s === 'string');
        for (const symbol of given) {
          const market = marketOf(symbol);
          if (market && !allowed.has(market)) {
            const list = [...allowed].sort().join(', ') || 'none';
            error = clientError(ClientErrorCode.Forbidden, `symbol ${JSON.stringify(symbol)} (market ${market}) is not allowed for this API key; allowed markets: ${list}`, 403, undefined, { symbol, market });
            return BREAK;
          }
        }
        return undefined;
      },
    }),
  );
  return error;
}

function tooComplex(args: ExecutionArgs, client: ClientIdentity): GraphQLError | null {
  const { maxQueryDepth, maxQueryComplexity } = client.limits;
  if (!maxQueryDepth && !maxQueryComplexity) return null;
  let measured: { complexity: number; depth: number } | null = null;
  try {
    validate(args.schema, args.document, [
      createComplexityRule({
        context: args.contextValue as object,
        variableValues: (args.variableValues ?? {}),
        operationName: args.operationName ?? null,
        onResult: (result) => {
          measured = result;
        },
      }),
    ]);
  } catch {
    return null; // cannot be measured (e.g. bad variables): execution reports the real problem
  }
  const result = measured as { complexity: number; depth: number } | null;
  if (!result) return null;
  if (maxQueryDepth > 0 && result.depth > maxQueryDepth) {
    return clientError(ClientErrorCode.QueryTooDeep, `query too deep: depth ${result.depth}, at most ${maxQueryDepth}`, 400, undefined, { depth: result.depth, limit: maxQueryDepth });
  }
  if (maxQueryComplexity > 0 && result.complexity > maxQueryComplexity) {
    return clientError(
      ClientErrorCode.QueryTooComplex,
      `query too complex: cost ${result.complexity}, at most ${maxQueryComplexity} (a symbols field costs symbols × depth; ask for fewer symbols, less depth or fewer fields)`,
      400,
      undefined,
      { complexity: result.complexity, limit: maxQueryComplexity },
    );
  }
  return null;
}
