import { GraphQLError, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badInput } from '../errors.js';

const MESSAGE = 'Text must not contain NUL (\\u0000) characters';

/**
 * How deep `variables` may nest. The schema's deepest input is three levels; anything far deeper is
 * refused here, before this check or any later reader (hashing, coercion, logging) recurses into it.
 */
export const MAX_VARIABLES_DEPTH = 64;

/**
 * PostgreSQL cannot store a NUL character in text, so any string with one, in the document or in
 * the variables, is the client's mistake (BAD_USER_INPUT) before it can reach a resolver.
 */
export function useRejectNulBytes(): Plugin {
  return {
    onParams({ params }) {
      const problem = problemIn(params.variables) ?? (params.operationName?.includes('\0') ? MESSAGE : null);
      if (problem === TOO_DEEP) {
        throw badInput(`Variables nest deeper than ${MAX_VARIABLES_DEPTH} levels`, {
          reason: 'VARIABLES_TOO_DEEP',
          http: { status: 400 },
        });
      }
      if (problem) throw badInput(problem);
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

const TOO_DEEP = 'too deep';

/** A walk with a stack of its own rather than recursion: no value, however deep, can overflow the call stack. */
function problemIn(variables: unknown): typeof MESSAGE | typeof TOO_DEEP | null {
  const pending: { value: unknown; depth: number }[] = [{ value: variables, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value === 'string' && value.includes('\0')) return MESSAGE;
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_VARIABLES_DEPTH) return TOO_DEEP;
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\0')) return MESSAGE;
      pending.push({ value: item, depth: depth + 1 });
    }
  }
  return null;
}
