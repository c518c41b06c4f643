import { getArgumentValues, getOperationAST, type FieldNode, type GraphQLObjectType } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { checkCredentials, credentialsKey } from '../auth/check-credentials.js';
import { hashPassword } from '../auth/passwords.js';
import { badInput, PaygraphError } from '../errors.js';
import type { Context } from '../schema/context.js';
import * as input from '../schema/inputs.js';
import { collectRootFields } from './root-fields.js';

/** Root fields that run scrypt (tens of milliseconds of CPU and 32 MB each): one per request. */
export const PASSWORD_FIELDS: ReadonlySet<string> = new Set(['createUser', 'signinUser']);

/**
 * scrypt's tens of milliseconds happen before the request's transaction opens
 * (src/request/mutation-transaction.ts), so they never hold a database connection: a burst of
 * sign-ups or sign-ins would otherwise take the whole pool and time its transactions out. createUser's
 * sign-up is counted by the throttle and its new password hashed here, and signinUser's credentials
 * checked here (throttle first); the resolvers find the results in the context, and do the work
 * themselves, inside the transaction, when they are not there (arguments rewritten by a hook, a
 * sign-in throttle refusal to be reported).
 *
 * A request may hold one password field: aliases would otherwise buy MAX_ALIASES hashes for the
 * price of one request. Fields are read as execution collects them, so a fragment cannot hide one.
 */
export function usePasswordsBeforeTransaction(): Plugin<Context> {
  return {
    async onExecute({ args, extendContext, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      const mutationType = args.schema.getMutationType();
      if (operation?.operation !== 'mutation' || !mutationType) return;
      const root = collectRootFields(args);
      if ('errors' in root) return; // execution reports the variables it cannot coerce
      const hashing = [...root.fields.values()].filter((nodes) => PASSWORD_FIELDS.has(nodes[0]!.name.value));
      if (hashing.length > 1) {
        const names = [...PASSWORD_FIELDS].join(', ');
        return setResultAndStopExecution({
          data: null,
          errors: [
            badInput(`A request may hold one of ${names}; send each as a request of its own`, {
              passwordFieldsPerRequest: 1,
            }),
          ],
        });
      }
      const [node] = hashing.map((nodes) => nodes[0]!);
      if (!node) return;
      const context = args.contextValue as Context;
      const values = argumentsOf(mutationType, node, root.variables);
      if (node.name.value === 'createUser') {
        // Counted before anything else, so a request refused for its input still counts as an attempt.
        const refusal = await context.signinThrottle.signingUp(context.clientAddress).then(
          () => null,
          (error: unknown) => error,
        );
        if (refusal instanceof PaygraphError) return setResultAndStopExecution({ data: null, errors: [refusal] });
        if (refusal) throw refusal;
        const password = input.password.safeParse(
          (values?.authProvider as { email?: Credentials } | undefined)?.email?.password,
        );
        if (password.success)
          extendContext({ passwordHashes: new Map([[password.data, await hashPassword(password.data)]]) });
        return;
      }
      const email = input.email.safeParse((values?.email as Credentials)?.email);
      const password = input.signinPassword.safeParse((values?.email as Credentials)?.password);
      if (!email.success || !password.success) return; // execution reports the bad input
      // A refusal (RATE_LIMITED) is left for the resolver to raise as the field's error.
      const checked = await checkCredentials(context, email.data, password.data).catch(() => null);
      if (checked)
        extendContext({ checkedCredentials: new Map([[credentialsKey(email.data, password.data), checked]]) });
    },
  };
}

type Credentials = { email?: unknown; password?: unknown } | undefined;

function argumentsOf(type: GraphQLObjectType, selection: FieldNode, variables: Record<string, unknown>) {
  try {
    return getArgumentValues(type.getFields()[selection.name.value]!, selection, variables);
  } catch {
    return null; // malformed arguments: execution reports them, nothing is written
  }
}
