/**
 * Envelop plugin run for every operation on every transport (HTTP, SSE, graphql-ws). Before the
 * document is parsed: operations per second per client (RATE_LIMITED; so invalid documents count
 * too) and the document's size, tokens and nesting (QUERY_TOO_LARGE, QUERY_TOO_DEEP). Before any
 * resolver or subscription source: the number of variable values, before anything coerces them
 * (VARIABLES_TOO_LARGE), allowed markets of the client's API key on every `symbol`/`symbols`
 * argument (FORBIDDEN), and query depth and complexity with @pothos/plugin-complexity's rule plus
 * what introspection really returns (src/schema/introspection-cost.ts) (QUERY_TOO_DEEP,
 * QUERY_TOO_COMPLEX).
 *
 * The checks see the operation as it will run: the selected operation only, its fragments, and
 * variables coerced as execution will coerce them (defaults included). The resolvers check the
 * markets again where they read their symbols (src/schema/args.ts), so nothing depends on this
 * early check alone.
 */
import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  BREAK,
  type ExecutionArgs,
  type ExecutionResult,
  type OperationDefinitionNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { createComplexityRule } from '@pothos/plugin-complexity';
import type { Context } from '../schema/context.js';
import { introspectionCost } from '../schema/introspection-cost.js';
import { marketRefusal } from '../clients/market-access.js';
import type { ClientGuards, RequestHead } from './client-guards.js';
import type { ClientIdentity } from '../clients/identity.js';
import { variablesTooLarge } from './variable-limits.js';
import { checkDocument, MAX_DOCUMENT_NESTING, type DocumentLimits } from './document-limits.js';
import { ErrorCode } from '../clients/error-codes.js';
import { clientError } from '../clients/client-errors.js';
import { GRAPHQL_SSE_PATH } from './paths.js';

/** The operation that will run and its coerced variables; null when execution will refuse it anyway. */
interface Executed {
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
}

function executedOperation(args: ExecutionArgs): Executed | null {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return null;
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {}, { maxErrors: 1 });
  return coerced.errors ? null : { operation, variables: coerced.coerced };
}

export function useOperationGuards(guards: ClientGuards): Plugin<Context> {
  const documentLimits: DocumentLimits = {
    maxBytes: guards.config.MAX_QUERY_BYTES,
    maxTokens: guards.config.MAX_QUERY_TOKENS,
    maxNesting: MAX_DOCUMENT_NESTING,
  };
  const refused = (error: GraphQLError | null): GraphQLError | null => {
    if (error) guards.countRefusal(error.extensions.code as ErrorCode);
    return error;
  };
  const check = (args: ExecutionArgs): readonly GraphQLError[] => {
    const client = (args.contextValue as Partial<Context> | undefined)?.client;
    if (!client) return [];
    const tooLarge = refused(variablesTooLarge(args.variableValues, guards.config.MAX_VARIABLE_VALUES));
    if (tooLarge) return [tooLarge];
    const executed = executedOperation(args);
    // bad variables or no such operation: execution answers that with its own errors
    const error = refused(executed && (forbiddenSymbol(args, executed, client) ?? tooComplex(args, executed, client)));
    return error ? [error] : [];
  };
  return {
    onParse({ context, params }) {
      // the initial context: Yoga's node server context on HTTP, the upgrade request on graphql-ws
      const client = guards.identityOf((context as { req?: RequestHead }).req);
      const error = refused(
        rateLimit(guards, client) ??
          checkDocument(typeof params.source === 'string' ? params.source : (params.source as { body: string }).body, documentLimits),
      );
      if (error) throw error;
    },
    onExecute({ args, setResultAndStopExecution }) {
      const errors = check(args);
      if (errors.length > 0) setResultAndStopExecution(refusal(args, errors));
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const errors = check(args);
      if (errors.length > 0) setResultAndStopExecution(refusal(args, errors));
    },
  };
}

/** Takes one operation from the client's bucket: RATE_LIMITED when it is empty. */
function rateLimit(guards: ClientGuards, client: ClientIdentity): GraphQLError | null {
  const { operationsPerSecond, operationsBurst } = client.limits;
  if (guards.rateLimiter.take(client.id, operationsPerSecond, operationsBurst)) return null;
  const retryAfter = guards.rateLimiter.retryAfterSeconds(client.id);
  return clientError(
    ErrorCode.RateLimited,
    `too many operations: at most ${operationsPerSecond} per second (bursts of ${operationsBurst}); retry in ${retryAfter} s`,
    429,
    { 'retry-after': String(retryAfter) },
  );
}

/** The first `symbol`/`symbols` value of the executed operation outside the client's allowed markets. */
function forbiddenSymbol(args: ExecutionArgs, { operation, variables }: Executed, client: ClientIdentity): GraphQLError | null {
  if (!client.markets) return null;
  const typeInfo = new TypeInfo(args.schema);
  let error: GraphQLError | null = null;
  visit(
    args.document,
    visitWithTypeInfo(typeInfo, {
      // another operation of the document does not run (and has other variables)
      OperationDefinition: (node) => (node === operation ? undefined : false),
      Field(node) {
        const field = typeInfo.getFieldDef();
        if (!field || !field.args.some((a) => a.name === 'symbol' || a.name === 'symbols')) return undefined;
        let values: Record<string, unknown>;
        try {
          values = getArgumentValues(field, node, variables);
        } catch {
          return undefined; // bad arguments: execution reports them
        }
        const given = [values.symbol, values.symbols].flat().filter((s): s is string => typeof s === 'string');
        error = marketRefusal(given, client.markets);
        return error ? BREAK : undefined;
      },
    }),
  );
  return error;
}

function tooComplex(args: ExecutionArgs, { operation, variables }: Executed, client: ClientIdentity): GraphQLError | null {
  const { maxQueryDepth, maxQueryComplexity } = client.limits;
  if (!maxQueryDepth && !maxQueryComplexity) return null;
  let measured: { complexity: number; depth: number } | null = null;
  try {
    validate(args.schema, args.document, [
      createComplexityRule({
        context: args.contextValue as object,
        variableValues: variables,
        operationName: operation.name?.value ?? null,
        onResult: (result) => {
          measured = result;
        },
      }),
    ]);
  } catch {
    return null; // cannot be measured (e.g. bad variables): execution reports the real problem
  }
  const pothos = measured as { complexity: number; depth: number } | null;
  if (!pothos) return null;
  // Pothos counts a root __schema / __type as 1: add what they really select
  const introspection = introspectionCost(args.schema, args.document, operation.name?.value ?? null, variables);
  const result = { complexity: pothos.complexity + introspection.complexity, depth: Math.max(pothos.depth, introspection.depth) };
  if (maxQueryDepth > 0 && result.depth > maxQueryDepth) {
    return clientError(ErrorCode.QueryTooDeep, `query too deep: depth ${result.depth}, at most ${maxQueryDepth}`, 400, undefined, {
      depth: result.depth,
      limit: maxQueryDepth,
    });
  }
  if (maxQueryComplexity > 0 && result.complexity > maxQueryComplexity) {
    return clientError(
      ErrorCode.QueryTooComplex,
      `query too complex: cost ${result.complexity}, at most ${maxQueryComplexity} (a symbols field costs symbols × depth; ask for fewer symbols, less depth or fewer fields)`,
      400,
      undefined,
      { complexity: result.complexity, limit: maxQueryComplexity },
    );
  }
  return null;
}

/**
 * A refusal, as a result with no data. graphql-sse's handler (/graphql/stream) takes a result
 * without a `data` key for execution arguments, so there it says `data: null`.
 */
function refusal(args: ExecutionArgs, errors: readonly GraphQLError[]): ExecutionResult {
  const request = (args.contextValue as { request?: Request } | undefined)?.request;
  return request && new URL(request.url).pathname.endsWith(GRAPHQL_SSE_PATH) ? { data: null, errors } : { errors };
}
