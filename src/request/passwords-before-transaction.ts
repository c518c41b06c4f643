import { getArgumentValues, getOperationAST, Kind, type FieldNode, type GraphQLObjectType } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { checkCredentials, credentialsKey } from '../auth/check-credentials.js';
import { hashPassword } from '../auth/passwords.js';
import type { Context } from '../schema/context.js';
import * as input from '../schema/inputs.js';

/**
 * scrypt's tens of milliseconds happen before the request's transaction opens
 * (src/request/mutation-transaction.ts), so they never hold a database connection: a burst of
 * sign-ups or sign-ins would otherwise take the whole pool and time its transactions out. createUser's
 * new password is hashed here and signinUser's credentials checked here (throttle first); the
 * resolvers find the results in the context, and do the work themselves, inside the transaction,
 * when they are not there (arguments rewritten by a hook, a throttle refusal to be reported).
 */
export function usePasswordsBeforeTransaction(): Plugin<Context> {
  return {
    async onExecute({ args, extendContext }) {
      const operation = getOperationAST(args.document, args.operationName);
      const mutationType = args.schema.getMutationType();
      if (operation?.operation !== 'mutation' || !mutationType) return;
      const context = args.contextValue as Context;
      const passwordHashes = new Map<string, string>();
      const checkedCredentials = new Map<string, Awaited<ReturnType<typeof checkCredentials>>>();
      await Promise.all(
        operation.selectionSet.selections.map(async (selection) => {
          if (selection.kind !== Kind.FIELD) return;
          const field = selection.name.value;
          if (field !== 'createUser' && field !== 'signinUser') return;
          const values = argumentsOf(mutationType, selection, args.variableValues);
          if (field === 'createUser') {
            const password = input.password.safeParse((values?.authProvider as { email?: Credentials } | undefined)?.email?.password);
            if (password.success) passwordHashes.set(password.data, await hashPassword(password.data));
            return;
          }
          const email = input.email.safeParse((values?.email as Credentials)?.email);
          const password = input.signinPassword.safeParse((values?.email as Credentials)?.password);
          if (!email.success || !password.success) return; // execution reports the bad input
          // A refusal (RATE_LIMITED) is left for the resolver to raise as the field's error.
          const checked = await checkCredentials(context, email.data, password.data).catch(() => null);
          if (checked) checkedCredentials.set(credentialsKey(email.data, password.data), checked);
        }),
      );
      extendContext({ passwordHashes, checkedCredentials });
    },
  };
}

type Credentials = { email?: unknown; password?: unknown } | undefined;

function argumentsOf(type: GraphQLObjectType, selection: FieldNode, variables: Record<string, unknown> | undefined) {
  try {
    return getArgumentValues(type.getFields()[selection.name.value]!, selection, variables ?? {});
  } catch {
    return null; // malformed arguments: execution reports them, nothing is written
  }
}
