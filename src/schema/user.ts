import { hashPassword } from '../auth/passwords.js';
import { conflict, notFound } from '../errors.js';
import { detachCardsOfLostCustomer, detachLostPaymentMethod } from '../payments/card-state.js';
import { changeStripeId } from '../payments/customer-state.js';
import { builder, isUniqueViolation } from './builder.js';
import type { Context } from './context.js';
import * as input from './inputs.js';
import { pageArgs, toPage } from './pagination.js';
import { secretValue } from './secret-arguments.js';
import { findsNodes, ownedByCaller, readableBy } from './readable-by.js';

builder.prismaObject('User', {
  authScopes: (user) => readableBy(user.id),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    email: t.exposeString('email'),
    stripeId: t.exposeString('stripeId', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    cardDetails: t.relation('cardDetails', { args: pageArgs, query: (args) => toPage(args) }),
    purchases: t.relation('purchases', { args: pageArgs, query: (args) => toPage(args) }),
  }),
});

const EmailCredentials = builder.inputType('AuthProviderEmail', {
  fields: (t) => ({
    email: t.string({ required: true, validate: input.email }),
    password: t.string({ required: true, validate: input.password, extensions: secretValue }),
  }),
});

const SignupProviders = builder.inputType('AuthProviderSignupData', {
  fields: (t) => ({ email: t.field({ type: EmailCredentials, required: true }) }),
});

builder.queryFields((t) => ({
  me: t.prismaField({
    type: 'User',
    nullable: true,
    authScopes: { signedIn: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.identity.kind === 'user' ? ctx.db.user.findUnique({ ...query, where: { id: ctx.identity.userId } }) : null,
  }),
  User: t.prismaField({
    type: 'User',
    nullable: true,
    authScopes: findsNodes,
    args: { id: t.arg.id({ required: true, validate: input.id }) },
    resolve: (query, _root, args, ctx) =>
      ctx.db.user.findFirst({ ...query, where: { AND: [{ id: String(args.id) }, ownedByCaller(ctx, 'id')] } }),
  }),
}));

builder.mutationFields((t) => ({
  createUser: t.prismaField({
    type: 'User',
    description: 'Sign up. Open to anyone.',
    // The new user may read the user they just created; the session comes from signinUser.
    grantScopes: ['mutationResult'],
    args: {
      name: t.arg.string({ required: true, validate: input.name }),
      authProvider: t.arg({ type: SignupProviders, required: true }),
    },
    resolve: async (query, _root, args, ctx) => {
      const { email, password } = args.authProvider.email;
      const passwordHash = ctx.passwordHashes?.get(password) ?? (await hashPassword(password));
      try {
        const user = await ctx.db.user.create({ ...query, data: { name: args.name, email, passwordHash } });
        await ctx.events.record(ctx.db, { model: 'User', operation: 'created', node: user });
        return user;
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict('A user with this email already exists');
        throw error;
      }
    },
  }),
  updateUser: t.prismaField({
    type: 'User',
    description: "For the create-customer service: records the user's Stripe customer.",
    authScopes: { token: 'customers:write' },
    grantScopes: ['mutationResult'],
    args: {
      id: t.arg.id({ required: true, validate: input.id }),
      stripeId: t.arg.string({ required: true, validate: input.stripeCustomerId }),
    },
    resolve: (query, _root, args, ctx) => stripeIdChanged(ctx, query, String(args.id), () => args.stripeId),
  }),
  forgetStripeCustomer: t.prismaField({
    type: 'User',
    description:
      'For the charge-customer service: Stripe no longer knows this customer (deleted in the dashboard, a local ' +
      'Stripe restarted), so it is cleared, its saved cards are DETACHED (never charged again) and the next card ' +
      'makes a new customer. Only the id Stripe lost is cleared.',
    authScopes: { token: 'purchases:settle' },
    grantScopes: ['mutationResult'],
    args: {
      id: t.arg.id({ required: true, validate: input.id }),
      stripeId: t.arg.string({ required: true, validate: input.stripeCustomerId }),
    },
    resolve: async (query, _root, args, ctx) => {
      const id = String(args.id);
      const user = await stripeIdChanged(ctx, query, id, (current) => (current === args.stripeId ? null : current));
      if (user.stripeId === null) await detachCardsOfLostCustomer(ctx, id);
      return user;
    },
  }),
  forgetStripePaymentMethod: t.prismaField({
    type: 'User',
    description:
      "For the charge-customer service: Stripe no longer knows this saved card's PaymentMethod, so the user's card " +
      'holding it is DETACHED (never charged again).',
    authScopes: { token: 'purchases:settle' },
    grantScopes: ['mutationResult'],
    args: {
      id: t.arg.id({ required: true, validate: input.id }),
      stripePaymentMethodId: t.arg.string({ required: true, validate: input.stripePaymentMethodId }),
    },
    resolve: async (query, _root, args, ctx) => {
      const id = String(args.id);
      await detachLostPaymentMethod(ctx, id, args.stripePaymentMethodId);
      return stripeIdChanged(ctx, query, id, (current) => current);
    },
  }),
}));

/** A user's Stripe customer id, changed by `next` (src/payments/customer-state.ts); the user as the query asks. */
async function stripeIdChanged(
  ctx: Context,
  query: { include?: object; select?: object },
  id: string,
  next: (current: string | null) => string | null,
) {
  const user = await changeStripeId(ctx, id, next, { query });
  if (!user) throw notFound('User');
  return user;
}
