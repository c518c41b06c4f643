import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

// graphql-js's didYouMean: " Did you mean" and a list of names, which hold no "?".
const SUGGESTION = / Did you mean [^?]*\?/g;

/**
 * No "Did you mean" anywhere: graphql-js's own `hideSuggestions`, for validation (fields, arguments,
 * types, enum values and input fields written in the document) and for execution and subscriptions
 * (the same in variables). Rewriting validation messages alone missed the variables and the ones
 * worded otherwise, such as `Did you mean the enum value "PAID"?`.
 */
export function useHiddenSuggestions(): Plugin {
  return {
    onValidate({ validateFn, setValidationFn }) {
      // graphql 16's order: schema, document, rules, options, typeInfo.
      setValidationFn((schema, document, rules, options, typeInfo) =>
        validateFn(schema, document, rules, { ...options, hideSuggestions: true }, typeInfo),
      );
    },
    // On the request's own arguments, so later plugins that read the variables before execution
    // (src/request/root-fields.ts) see it too. Envelop's types predate the option.
    onExecute({ args }) {
      Object.assign(args, { hideSuggestions: true });
    },
    onSubscribe({ args }) {
      Object.assign(args, { hideSuggestions: true });
    },
    // Yoga's executor (@graphql-tools/executor 2.1) takes the option but coerces each variable with
    // graphql's coerceInputValue without it, so a misspelt enum value or input field in the variables
    // still got a suggestion: it is cut from the answer.
    onResultProcess({ result, setResult }) {
      if (
        Array.isArray(result) ||
        !('errors' in result) ||
        !result.errors?.some((error) => error.message.includes(' Did you mean '))
      )
        return;
      setResult({ ...result, errors: result.errors.map((error) => withoutSuggestion(error as GraphQLError)) });
    },
  };
}

function withoutSuggestion(error: GraphQLError): GraphQLError {
  const message = error.message.replace(SUGGESTION, '');
  if (message === error.message) return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: error.extensions,
  });
}
