/**
 * Variables are checked before anything coerces them: graphql-js and the complexity rule build one
 * error object per invalid list item, so a 90 KB list of 45,000 bad items stalled the event loop
 * for seconds. First the number of values is capped (VARIABLES_TOO_LARGE), then they are coerced
 * once with graphql's error cap, so a bad request answers with at most MAX_VARIABLE_ERRORS errors.
 */
import { getOperationAST, getVariableValues, type ExecutionArgs, type GraphQLError } from 'graphql';
import { ClientErrorCode, clientError } from './client-errors.js';

/** Coercion stops after this many errors (graphql-js's own default for execution). */
export const MAX_VARIABLE_ERRORS = 50;

/** Values in `variables`: every scalar, list item and object field counts one; stops counting past `max`. */
export function countValues(variables: unknown, max: number): number {
  let count = 0;
  const pending: unknown[] = [variables];
  while (pending.length > 0 && count <= max) {
    const value = pending.pop();
    if (Array.isArray(value)) {
      count += value.length;
      if (count <= max) pending.push(...value);
    } else if (value !== null && typeof value === 'object') {
      const values = Object.values(value);
      count += values.length;
      if (count <= max) pending.push(...values);
    }
  }
  return count;
}

/** Errors for variables that are too many or do not coerce; an empty list when they are fine. */
export function checkVariables(args: ExecutionArgs, maxValues: number): readonly GraphQLError[] {
  const variables = args.variableValues ?? {};
  if (maxValues > 0 && countValues(variables, maxValues) > maxValues) {
    return [clientError(ClientErrorCode.VariablesTooLarge, `variables too large: more than ${maxValues} values (list items and fields)`, 400, undefined, { limit: maxValues })];
  }
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation?.variableDefinitions?.length) return [];
  const coerced = getVariableValues(args.schema, operation.variableDefinitions, variables as Record<string, unknown>, { maxErrors: MAX_VARIABLE_ERRORS });
  return coerced.errors ?? [];
}
