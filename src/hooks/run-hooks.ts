import { randomUUID } from 'node:crypto';
import {
  astFromValue,
  getArgumentValues,
  getOperationAST,
  GraphQLError,
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
import { badInput, forbidden } from '../errors.js';
import type { Logger } from '../../packages/base/logger.js';
import { collectRootFields } from '../request/root-fields.js';
import type { Context } from '../schema/context.js';
import { maskSecrets } from '../schema/secret-arguments.js';
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
      const root = collectRootFields(args);
      if ('errors' in root) return setResultAndStopExecution({ data: null, errors: root.errors });
      const rewrites: Rewrite[] = [];
      for (const [responseKey, nodes] of root.fields) {
        const guards = byMutation.get(nodes[0]!.name.value);
        if (!guards) continue;
        const field = mutationType.getFields()[nodes[0]!.name.value]!;
        // Execution reads the arguments of the first node; the others are validated to be the same.
        let input = argumentsOf(field, nodes[0]!, root.variables);
        // Fail closed: a guarded field whose hooks cannot be told its input does not run.
        if (input instanceof GraphQLError)
          return setResultAndStopExecution({ data: null, errors: [badInput(`${responseKey}: ${input.message}`)] });
        let set: Record<string, unknown> = {};
        for (const hook of guards) {
          // Secrets (a password, a client secret) never leave the API: the hook is told one was given.
          const decision = await ask(
            hook,
            maskSecrets(field.args, input),
            (args.contextValue as Context).identity,
            logger,
          );
          if (!decision.allow) {
            setResultAndStopExecution({ data: null, errors: [forbidden(decision.message)] });
            return;
          }
          input = { ...input, ...decision.set };
          set = { ...set, ...decision.set };
        }
        if (Object.keys(set).length > 0) rewrites.push({ field, nodes, set });
      }
      if (rewrites.length === 0) return;
      const document = withArguments(args.document, rewrites);
      setExecuteFn((executionArgs) => executeFn({ ...executionArgs, document }));
    },
  };
}

type Rewrite = { field: GraphQLField<unknown, unknown>; nodes: readonly FieldNode[]; set: Record<string, unknown> };

function argumentsOf(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Record<string, unknown>,
): Record<string, unknown> | GraphQLError {
  try {
    return getArgumentValues(field, node, variables);
  } catch (error) {
    return error instanceof GraphQLError ? error : new GraphQLError('its arguments cannot be read');
  }
}

async function ask(
  hook: HookDefinition,
  input: Record<string, unknown>,
  identity: Identity,
  logger: Logger,
): Promise<Decision> {
  const viewer =
    identity.kind === 'user'
      ? { id: identity.userId }
      : identity.kind === 'token'
        ? { id: `token:${identity.name}` }
        : null;
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
    return hook.onError === 'allow'
      ? { allow: true, set: {} }
      : { allow: false, message: `Refused: hook "${hook.name}" could not decide (${reason})` };
  };
  if (result.error) return problem(result.error);
  if (!result.status || result.status < 200 || result.status >= 300) return problem(`HTTP ${result.status}`);
  let answer: unknown;
  try {
    answer = JSON.parse(result.response ?? '');
  } catch {
    return problem('the answer is not JSON');
  }
  if (typeof answer !== 'object' || answer === null || typeof (answer as { allow?: unknown }).allow !== 'boolean')
    return problem('the answer has no boolean "allow"');
  const { allow, message, set } = answer as { allow: boolean; message?: unknown; set?: unknown };
  if (!allow)
    return {
      allow: false,
      message: typeof message === 'string' && message ? message : `Refused by hook "${hook.name}"`,
    };
  if (set === undefined) return { allow: true, set: {} };
  if (typeof set !== 'object' || set === null || Array.isArray(set)) return problem('"set" is not an object');
  const refused = Object.keys(set).filter((key) => !hook.mayChange.includes(key));
  if (refused.length > 0) return problem(`it may not change ${refused.join(', ')}`);
  return { allow: true, set: set as Record<string, unknown> };
}

/**
 * The document with the hooks' values written into the guarded fields' arguments, as literals: into
 * every node of a response key (fragments included), since execution may read any of them.
 */
function withArguments(document: DocumentNode, rewrites: readonly Rewrite[]): DocumentNode {
  const byNode = new Map(rewrites.flatMap((rewrite) => rewrite.nodes.map((node) => [node, rewrite] as const)));
  return visit(document, {
    Field(node) {
      const rewrite = byNode.get(node);
      if (!rewrite) return undefined;
      const replaced = new Map<string, ArgumentNode>();
      for (const [name, value] of Object.entries(rewrite.set)) {
        const definition = rewrite.field.args.find((arg) => arg.name === name)!;
        const literal = astFromValue(value, definition.type);
        if (literal)
          replaced.set(name, { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: name }, value: literal });
      }
      const kept = (node.arguments ?? []).filter((argument) => !replaced.has(argument.name.value));
      return { ...node, arguments: [...kept, ...replaced.values()] };
    },
  });
}
