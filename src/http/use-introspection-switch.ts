/**
 * INTROSPECTION=false: every `__schema` / `__type` query fails validation (graphql's own rule), and
 * no error message hints at the schema either: graphql-js's "Did you mean …?" suggestions (field,
 * argument, type and enum value names) are cut from validation, execution and subscription errors.
 * Must come before the plugins that answer with errors (use-operation-guards) to see their results.
 */
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

const SUGGESTION = /\s*Did you mean .*\?$/s;

function withoutSuggestion<E extends Error>(error: E): E | GraphQLError {
  if (!(error instanceof GraphQLError) || !SUGGESTION.test(error.message)) return error;
  const { nodes, source, positions, path, originalError, extensions } = error;
  return new GraphQLError(error.message.replace(SUGGESTION, ''), { nodes, source, positions, path, originalError, extensions });
}

function resultWithoutSuggestions(result: ExecutionResult): ExecutionResult {
  return result.errors ? { ...result, errors: result.errors.map(withoutSuggestion) } : result;
}

export function useIntrospectionSwitch(enabled: boolean): Plugin {
  if (enabled) return {};
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
      return ({ result, setResult }) => {
        if (result.length > 0) setResult(result.map(withoutSuggestion));
      };
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!isAsyncIterable(result)) setResult(resultWithoutSuggestions(result));
        },
      };
    },
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) setResult(resultWithoutSuggestions(result));
        },
      };
    },
  };
}
