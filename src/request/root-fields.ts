import {
  getOperationAST,
  getVariableValues,
  Kind,
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
} from 'graphql';
// Execution's own field collection (graphql 16 has no "exports", so the module is reachable): any
// other reading of the document could disagree with what actually runs.
import { collectFields } from 'graphql/execution/collectFields.js';
import { badInput, type PaygraphError } from '../errors.js';

export interface RootFields {
  /** Each response key the operation will resolve, with every FieldNode execution merges into it. */
  fields: Map<string, readonly FieldNode[]>;
  /** The variables as execution coerces them: defaults filled in. */
  variables: Record<string, unknown>;
}

/**
 * The root fields of the request's operation as execution collects them: through inline and named
 * fragments, with @skip and @include applied to the coerced variables. A plugin deciding about a field
 * before execution (a hook to ask, a field that takes no Idempotency-Key) must see the same fields, or
 * a fragment steps around it. Variables that cannot be coerced are the client's error, as in execution.
 */
export function collectRootFields(args: ExecutionArgs): RootFields | { errors: PaygraphError[] } {
  const operation = getOperationAST(args.document, args.operationName);
  const rootType = operation && args.schema.getRootType(operation.operation);
  if (!operation || !rootType) return { fields: new Map(), variables: {} };
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {}, {
    maxErrors: 50,
    hideSuggestions: args.hideSuggestions ?? false,
  });
  if (coerced.errors) return { errors: coerced.errors.map((error) => badInput(error.message)) };
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of args.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  return {
    fields: collectFields(args.schema, fragments, coerced.coerced, rootType, operation.selectionSet),
    variables: coerced.coerced,
  };
}
