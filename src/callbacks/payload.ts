import {
  Kind,
  execute,
  getNamedType,
  isLeafType,
  isObjectType,
  parse,
  validate,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Context } from '../schema/context.js';
import type { BuiltinTrigger, ModelName, NodeRow, Operation } from './events.js';

/** Which top-level payload fields each operation offers, and where their data comes from. */
const LIVE_FIELD: Partial<Record<Operation, string>> = { created: 'createdNode', updated: 'updatedNode' };
const SNAPSHOT_FIELDS: Record<Operation, string[]> = {
  created: [],
  updated: ['previousValues'],
  deleted: ['deletedNode', 'previousValues'],
};

export interface CompiledPayload {
  /** `query($nodeId: ID!) { createdNode: Purchase(id: $nodeId) {...} }`, run at delivery time; null when nothing live is asked. */
  liveQuery: DocumentNode | null;
  /** Parts answered from the snapshot taken at commit: alias and the scalar fields asked for. */
  snapshotParts: { alias: string; fields: { alias: string; name: string }[] }[];
  changedFieldsAlias: string | null;
  /** Built-in triggers: top-level scalars answered from the event's facts (alias, fact name). */
  facts?: { alias: string; name: string }[];
}

/**
 * What the payload of a built-in trigger offers: one live object, read at delivery time through a
 * root query field of the admin schema (the event's node id is its argument), and facts taken when
 * the event happened.
 */
const BUILTIN_PAYLOADS: Record<
  BuiltinTrigger,
  { live: string; rootField: string; argument: string; argumentType: string; facts: string[] }
> = {
  'CallbackDelivery.dead': {
    live: 'deadDelivery',
    rootField: 'callbackDelivery',
    argument: 'id',
    argumentType: 'ID',
    facts: [],
  },
  'CallbackDelivery.disabled': {
    live: 'disabledCallback',
    rootField: 'callback',
    argument: 'name',
    argumentType: 'String',
    facts: ['reason', 'failingSince', 'lastError'],
  },
  'StripeEvent.notApplied': {
    live: 'stripeEvent',
    rootField: 'stripeEvent',
    argument: 'id',
    argumentType: 'ID',
    facts: ['type', 'reason', 'purchaseId'],
  },
};

/** A built-in trigger's payload, e.g. `{ deadDelivery { id callback nodeId attemptLog { httpStatus error } } }`. */
export function compileBuiltinPayload(schema: GraphQLSchema, trigger: BuiltinTrigger, text: string): CompiledPayload {
  const spec = BUILTIN_PAYLOADS[trigger];
  const operationNode = singleSelection(text);
  const liveFields: FieldNode[] = [];
  const facts: { alias: string; name: string }[] = [];
  for (const selection of operationNode.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) throw new PayloadError('payload fragments are not supported at the top level');
    const alias = selection.alias?.value ?? selection.name.value;
    const name = selection.name.value;
    if (name === spec.live) {
      if (!selection.selectionSet) throw new PayloadError(`${name} needs a selection of fields`);
      liveFields.push(asLookup(selection, alias, spec.rootField, spec.argument));
    } else if (spec.facts.includes(name)) {
      if (selection.selectionSet) throw new PayloadError(`${name} is a plain value; it takes no selection`);
      facts.push({ alias, name });
    } else {
      throw new PayloadError(
        `${trigger} payloads offer ${[spec.live, ...spec.facts].join(', ')}; "${name}" is not one of them`,
      );
    }
  }
  const compiled: CompiledPayload = { liveQuery: null, snapshotParts: [], changedFieldsAlias: null, facts };
  if (liveFields.length > 0) {
    compiled.liveQuery = liveQueryDocument(liveFields, spec.argumentType);
    const problems = validate(schema, compiled.liveQuery);
    if (problems.length > 0) throw new PayloadError(problems.map((problem) => problem.message).join('; '));
  }
  return compiled;
}

function singleSelection(text: string): OperationDefinitionNode {
  let document: DocumentNode;
  try {
    document = parse(text);
  } catch (error) {
    throw new PayloadError(`payload is not a GraphQL selection: ${(error as Error).message}`);
  }
  const [operationNode, ...rest] = document.definitions;
  if (operationNode?.kind !== Kind.OPERATION_DEFINITION || operationNode.operation !== 'query' || rest.length > 0) {
    throw new PayloadError('payload must be one selection set, like { createdNode { id } }');
  }
  return operationNode;
}

export class PayloadError extends Error {}

export function compilePayload(
  schema: GraphQLSchema,
  model: ModelName,
  operation: Operation,
  text: string,
): CompiledPayload {
  const operationNode = singleSelection(text);
  const modelType = schema.getType(model);
  if (!isObjectType(modelType)) throw new PayloadError(`model ${model} is not in the GraphQL schema`);

  const offered = [
    LIVE_FIELD[operation],
    ...SNAPSHOT_FIELDS[operation],
    ...(operation === 'updated' ? ['changedFields'] : []),
  ]
    .filter(Boolean)
    .join(', ');
  const liveFields: FieldNode[] = [];
  const compiled: CompiledPayload = { liveQuery: null, snapshotParts: [], changedFieldsAlias: null };

  for (const selection of operationNode.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) throw new PayloadError('payload fragments are not supported at the top level');
    const alias = selection.alias?.value ?? selection.name.value;
    const name = selection.name.value;
    if (name === LIVE_FIELD[operation]) {
      if (!selection.selectionSet) throw new PayloadError(`${name} needs a selection of fields`);
      liveFields.push(asLookup(selection, alias, model, 'id'));
    } else if (SNAPSHOT_FIELDS[operation].includes(name)) {
      compiled.snapshotParts.push({ alias, fields: snapshotFields(selection.selectionSet, modelType, name) });
    } else if (name === 'changedFields' && operation === 'updated') {
      compiled.changedFieldsAlias = alias;
    } else {
      throw new PayloadError(`${model}.${operation} payloads offer ${offered}; "${name}" is not one of them`);
    }
  }

  if (liveFields.length > 0) {
    compiled.liveQuery = liveQueryDocument(liveFields);
    const problems = validate(schema, compiled.liveQuery);
    if (problems.length > 0) throw new PayloadError(problems.map((problem) => problem.message).join('; '));
  }
  return compiled;
}

export async function renderPayload(
  compiled: CompiledPayload,
  input: { schema: GraphQLSchema; context: Context; nodeId: string; snapshot: NodeRow | null; changedFields: string[] },
): Promise<Record<string, unknown>> {
  const data: Record<string, unknown> = {};
  if (compiled.liveQuery) {
    const result = await execute({
      schema: input.schema,
      document: compiled.liveQuery,
      contextValue: input.context,
      variableValues: { nodeId: input.nodeId },
    });
    if (result.errors?.length) {
      throw new PayloadError(`payload query failed: ${result.errors.map((error) => error.message).join('; ')}`);
    }
    Object.assign(data, result.data);
  }
  for (const part of compiled.snapshotParts) {
    data[part.alias] = input.snapshot
      ? Object.fromEntries(part.fields.map((field) => [field.alias, input.snapshot?.[field.name] ?? null]))
      : null;
  }
  if (compiled.changedFieldsAlias) data[compiled.changedFieldsAlias] = input.changedFields;
  for (const fact of compiled.facts ?? []) data[fact.alias] = input.snapshot?.[fact.name] ?? null;
  return data;
}

function asLookup(selection: FieldNode, alias: string, rootField: string, argument: string): FieldNode {
  return {
    ...selection,
    alias: { kind: Kind.NAME, value: alias },
    name: { kind: Kind.NAME, value: rootField },
    arguments: [
      {
        kind: Kind.ARGUMENT,
        name: { kind: Kind.NAME, value: argument },
        value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'nodeId' } },
      },
    ],
  };
}

function liveQueryDocument(fields: FieldNode[], variableType = 'ID'): DocumentNode {
  const operation: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: 'query' as OperationDefinitionNode['operation'],
    variableDefinitions: [
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'nodeId' } },
        type: {
          kind: Kind.NON_NULL_TYPE,
          type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: variableType } },
        },
      },
    ],
    selectionSet: { kind: Kind.SELECTION_SET, selections: fields },
  };
  return { kind: Kind.DOCUMENT, definitions: [operation] };
}

// A snapshot holds the row's own columns only, so only scalar fields can be asked of it.
function snapshotFields(
  selectionSet: SelectionSetNode | undefined,
  modelType: ReturnType<GraphQLSchema['getType']> & object,
  partName: string,
) {
  if (!selectionSet) throw new PayloadError(`${partName} needs a selection of fields`);
  if (!isObjectType(modelType)) throw new PayloadError(`${partName} has no model type`);
  return selectionSet.selections.map((selection) => {
    if (selection.kind !== Kind.FIELD) throw new PayloadError(`${partName} takes plain fields only`);
    const field = modelType.getFields()[selection.name.value];
    if (!field) throw new PayloadError(`${partName}: ${modelType.name} has no field "${selection.name.value}"`);
    if (!isLeafType(getNamedType(field.type))) {
      throw new PayloadError(`${partName}.${field.name} is a relation; snapshots hold scalar fields only`);
    }
    if (!systemMayRead(field)) {
      throw new PayloadError(
        `${partName}.${field.name} has its own access rule that callbacks do not pass (the owner only, say); a snapshot cannot ask for it`,
      );
    }
    return { alias: selection.alias?.value ?? field.name, name: field.name };
  });
}

/**
 * The scalar fields of a model that a callback may not read (see systemMayRead), by name. The
 * outbox leaves them out of the snapshot it stores, as compilePayload leaves them out of payloads.
 */
export function fieldsHiddenFromCallbacks(schema: GraphQLSchema, model: string): string[] {
  const modelType = schema.getType(model);
  if (!isObjectType(modelType)) return [];
  return Object.values(modelType.getFields())
    .filter((field) => isLeafType(getNamedType(field.type)) && !systemMayRead(field))
    .map((field) => field.name);
}

/**
 * Whether the system identity (callbacks) passes a field's own scope-auth rule, which Pothos keeps in
 * the field's extensions. A snapshot is answered without resolvers, so the rule never runs there:
 * it has to be decided here. The system holds every service token scope and is no user (the scope
 * loaders in src/schema/builder.ts); a rule computed from the node (`self: node.userId`) cannot be
 * checked against a snapshot, so it counts as refused.
 */
function systemMayRead(field: GraphQLField<unknown, unknown>): boolean {
  const rule = (field.extensions?.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes;
  if (rule === undefined) return true;
  if (typeof rule === 'boolean') return rule;
  return isScopeMap(rule) && scopesAdmitSystem(rule);
}

// Pothos scope maps: the top level and `$any` need one scope to hold, `$all` every one.
function scopesAdmitSystem(scopes: Record<string, unknown>, every = false): boolean {
  const held = Object.entries(scopes).map(([scope, value]) => {
    if (scope === '$any' || scope === '$all') return isScopeMap(value) && scopesAdmitSystem(value, scope === '$all');
    return scope === 'token';
  });
  return every ? held.every(Boolean) : held.some(Boolean);
}

const isScopeMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
