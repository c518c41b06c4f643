import { randomUUID } from 'node:crypto';
import {
  astFromValue,
  getArgumentValues,
  getOperationAST,
  Kind,
  visit,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Identity } from '../auth/identity.js';
import { sendSigned } from '../callbacks/send.js';
import { forbidden } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Context } from '../schema/context.js';
import type { HookDefinition } from './load.js';

type Decision = { allow: true; set: Record<string, unknown> } | { allow: false; message: string };

/**
 * Blocking hooks: before a guarded mutation runs, each of its hooks is asked, in the order of
 * callbacks.yml, with the mutation's arguments. This runs in Yoga's onExecute, before the request's
 * transaction begins (useMutationTransaction opens it inside execution), so a slow hook holds no
 * lock; a refusal stops the whole request before anything is written. Register it after
 * useMutationTransaction, so that rewritten arguments reach the transaction's execution.
 */
export function useBlockingHooks(hooks: readonly HookDefinition[], logger: Logger): Plugin<Context> {
  const byMutation = new Map<string, HookDefinition[]>();
  for (const hook of hooks) byMutation.set(hook.mutation, [...(byMutation.get(hook.mutation) ?? []), hook]);
  return {
    async onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      if (byMutation.size === 0) return;
      const operation = getOperationAST(args.document, args.operationName);
      const mutationType = args.schema.getMutationType();
      if (operation?.operation !== 'mutation' || !mutationType) return;
      const rewrites = new Map<FieldNode, { field: GraphQLField<unknown, unknown>; set: Record<string, unknown> }>();
      for (const selection of operation.selectionSet.selections) {
        const guards = selection.kind === Kind.FIELD ? byMutation.get(selection.name.value) : undefined;
        if (!guards || selection.kind !== Kind.FIELD) continue;
        const field = mutationType.getFields()[selection.name.value]!;
        let input: Record<string, unknown>;
        try {
          input = getArgumentValues(field, selection, args.variableValues ?? {});
        } catch {
          continue; // malformed arguments: execution reports them, nothing will be written
        }
        for (const hook of guards) {
          const decision = await ask(hook, input, (args.contextValue as Context).identity, logger);
          if (!decision.allow) {
            setResultAndStopExecution({ data: null, errors: [forbidden(decision.message)] });
            return;
          }
          if (Object.keys(decision.set).length === 0) continue;
          input = { ...input, ...decision.set };
          rewrites.set(selection, { field, set: { ...rewrites.get(selection)?.set, ...decision.set } });
        }
      }
      if (rewrites.size === 0) return;
      const document = withArguments(args.document, rewrites);
      setExecuteFn((executionArgs) => executeFn({ ...executionArgs, document }));
    },
  };
}

async function ask(hook: HookDefinition, input: Record<string, unknown>, identity: Identity, logger: Logger): Promise<Decision> {
  const viewer = identity.kind === 'user' ? { id: identity.userId } : identity.kind === 'token' ? { id: `token:${identity.name}` } : null;
  const result = await sendSigned({
    url: hook.url,
    headers: {},
    body: JSON.stringify({ hook: hook.name, operation: hook.before, input, viewer }),
    messageId: `hook_${randomUUID()}`,
    secrets: [hook.secret],
    timeoutMs: hook.timeoutMs,
  });
  const problem = (reason: string): Decision => {
    logger.warn({ hook: hook.name, reason, onError: hook.onError }, 'blocking hook failed');
    return hook.onError === 'allow' ? { allow: true, set: {} } : { allow: false, message: `Refused: hook "${hook.name}" could not decide (${reason})` };
  };
  if (result.error) return problem(result.error);
  if (!result.status || result.status < 200 || result.status >= 300) return problem(`HTTP ${result.status}`);
  let answer: unknown;
  try {
    answer = JSON.parse(result.response ?? '');
  } catch {
    return problem('the answer is not JSON');
  }
  if (typeof answer !== 'object' || answer === null || typeof (answer as { allow?: unknown }).allow !== 'boolean') return problem('the answer has no boolean "allow"');
  const { allow, message, set } = answer as { allow: boolean; message?: unknown; set?: unknown };
  if (!allow) return { allow: false, message: typeof message === 'string' && message ? message : `Refused by hook "${hook.name}"` };
  if (set === undefined) return { allow: true, set: {} };
  if (typeof set !== 'object' || set === null || Array.isArray(set)) return problem('"set" is not an object');
  const refused = Object.keys(set).filter((key) => !hook.mayChange.includes(key));
  if (refused.length > 0) return problem(`it may not change ${refused.join(', ')}`);
  return { allow: true, set: set as Record<string, unknown> };
}

/** The document with the hooks' values written into the guarded fields' arguments, as literals. */
function withArguments(document: DocumentNode, rewrites: Map<FieldNode, { field: GraphQLField<unknown, unknown>; set: Record<string, unknown> }>): DocumentNode {
  return visit(document, {
    Field(node) {
      const rewrite = rewrites.get(node);
      if (!rewrite) return undefined;
      const replaced = new Map<string, ArgumentNode>();
      for (const [name, value] of Object.entries(rewrite.set)) {
        const definition = rewrite.field.args.find((arg) => arg.name === name)!;
        const literal = astFromValue(value, definition.type);
        if (literal) replaced.set(name, { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: name }, value: literal });
      }
      const kept = (node.arguments ?? []).filter((argument) => !replaced.has(argument.name.value));
      return { ...node, arguments: [...kept, ...replaced.values()] };
    },
  });
}
