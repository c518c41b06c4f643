import { checkCredentials, credentialsKey } from '../auth/check-credentials.js';
import { createSession, revokeSession } from '../auth/sessions.js';
import { unauthenticated } from '../errors.js';
import type { User } from '../generated/prisma/client.js';
import { builder } from './builder.js';
import * as input from './inputs.js';
import { secretValue } from './secret-arguments.js';

const SigninPayload = builder.objectRef<{ token: string; user: User }>('SigninPayload').implement({
  fields: (t) => ({
    token: t.exposeString('token', { description: 'Send as "Authorization: Bearer <token>".' }),
    // Skips User's owner check: the caller has just proved they are this user.
    user: t.prismaField({ type: 'User', grantScopes: ['mutationResult'], resolve: (_query, payload) => payload.user }),
  }),
});

const SigninCredentials = builder.inputType('SigninEmailCredentials', {
  fields: (t) => ({
    email: t.string({ required: true, validate: input.email }),
    // No minimum length here: a wrong password must get the same answer as an unknown email.
    password: t.string({ required: true, validate: input.signinPassword, extensions: secretValue }),
  }),
});

builder.mutationFields((t) => ({
  signinUser: t.field({
    type: SigninPayload,
    args: { email: t.arg({ type: SigninCredentials, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { email, password } = args.email;
      const { user, valid } =
        ctx.checkedCredentials?.get(credentialsKey(email, password)) ?? (await checkCredentials(ctx, email, password));
      // The throttle counted this attempt before its password was checked (checkCredentials).
      if (!user || !valid) throw unauthenticated('Wrong email or password');
      return { token: await createSession(ctx.db, user.id, ctx.sessionTtlHours), user };
    },
  }),
  signoutUser: t.boolean({
    description: "Revokes the caller's session token.",
    authScopes: { signedIn: true },
    resolve: async (_root, _args, ctx) => {
      if (ctx.identity.kind !== 'user') return true;
      ctx.revokingIdentity(ctx.identity.sessionId);
      await revokeSession(ctx.db, ctx.identity.sessionId);
      return true;
    },
  }),
}));
