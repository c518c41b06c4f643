import { GraphQLError, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badInput } from '../errors.js';

const MESSAGE = 'Text must not contain NUL (\\u0000) characters';

/**
 * PostgreSQL cannot store a NUL character in text, so any string with one, in the document or in
 * the variables, is the client's mistake (BAD_USER_INPUT) before it can reach a resolver.
 */
export function useRejectNulBytes(): Plugin {
  return {
    onParams({ params }) {
      if (containsNul(params.variables) || containsNul(params.operationName)) throw badInput(MESSAGE);
    },
    onValidate({ addValidationRule }) {
      addValidationRule(noNulInStrings);
    },
  };
}

const noNulInStrings: ValidationRule = (context) => ({
  StringValue(node) {
    if (node.value.includes('\0')) context.reportError(new GraphQLError(MESSAGE, { nodes: [node] }));
  },
});

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([key, item]) => key.includes('\0') || containsNul(item));
  return false;
}
