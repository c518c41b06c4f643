import { z } from 'zod';
import { notFound } from '../errors.js';
import { CardStatus } from '../generated/prisma/enums.js';
import { cardAuthenticationAbandoned, changeCard } from '../payments/card-state.js';
import { chargesInFlight } from '../payments/charges-in-flight.js';
import { builder } from './builder.js';
import * as input from './inputs.js';
import { pageArgs, toPage } from './pagination.js';
import { findsNodes, ownedByCaller, readableBy } from './readable-by.js';
import { secretValue } from './secret-arguments.js';

const CardStatusEnum = builder.enumType(CardStatus, { name: 'CardStatus' });

// Stripe.js tokens (tok_...) and payment methods (pm_...): the only card data Paygraph accepts.
const cardToken = z.string().regex(/^(tok|pm)_[A-Za-z0-9_]{1,250}$/, 'Not a Stripe card token or payment method id');

builder.prismaObject('CardDetails', {
  authScopes: (card) => readableBy(card.userId),
  fields: (t) => ({
    id: t.exposeID('id'),
    cardToken: t.exposeString('cardToken', {
      description: 'Shown only to services; a user never gets the token back.',
      authScopes: { token: 'nodes:read' },
    }),
    status: t.expose('status', { type: CardStatusEnum }),
    failureCode: t.exposeString('failureCode', { nullable: true }),
    failureMessage: t.exposeString('failureMessage', { nullable: true }),
    stripePaymentMethodId: t.exposeString('stripePaymentMethodId', { nullable: true }),
    stripeSetupIntentId: t.exposeString('stripeSetupIntentId', {
      nullable: true,
      description: 'The SetupIntent that saved the card at Stripe.',
    }),
    brand: t.exposeString('brand', { nullable: true }),
    last4: t.exposeString('last4', { nullable: true }),
    expMonth: t.exposeInt('expMonth', { nullable: true }),
    expYear: t.exposeInt('expYear', { nullable: true }),
    livemode: t.exposeBoolean('livemode'),
    setupClientSecret: t.exposeString('setupClientSecret', {
      nullable: true,
      description:
        "The SetupIntent's client secret while the bank waits for the owner (REQUIRES_ACTION): finish with Stripe.js confirmCardSetup. The owner only.",
      authScopes: (card) => ({ self: card.userId }),
    }),
    userId: t.exposeID('userId', {
      description:
        "The owner's id: kept in a deleted card's snapshot, so its detachCard callback finds the owner's customer at Stripe.",
    }),
    user: t.relation('user'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    chargesInFlight: t.prismaField({
      type: ['Purchase'],
      description:
        "Unsettled purchases (PENDING or PROCESSING) whose charge has already started on this card: a PaymentIntent exists or the charge callback is being sent. deleteCardDetails' answer lists them as of the delete: they may still be charged to it; no charge started later is.",
      resolve: async (query, card, _args, ctx) => {
        const ids = await chargesInFlight(ctx.db, card);
        return ids.length === 0
          ? []
          : ctx.db.purchase.findMany({ ...query, where: { id: { in: ids } }, orderBy: { id: 'asc' } });
      },
    }),
  }),
});

builder.queryFields((t) => ({
  CardDetails: t.prismaField({
    type: 'CardDetails',
    nullable: true,
    authScopes: findsNodes,
    args: { id: t.arg.id({ required: true, validate: input.id }) },
    resolve: (query, _root, args, ctx) =>
      ctx.db.cardDetails.findFirst({
        ...query,
        where: { AND: [{ id: String(args.id) }, ownedByCaller(ctx, 'userId')] },
      }),
  }),
  allCardDetails: t.prismaField({
    type: ['CardDetails'],
    description: "The caller's own card details; every user's for a token with nodes:read.",
    authScopes: findsNodes,
    args: pageArgs,
    resolve: (query, _root, args, ctx) =>
      ctx.db.cardDetails.findMany({
        ...query,
        ...toPage(args, ownedByCaller(ctx, 'userId')),
      }),
  }),
}));

builder.mutationFields((t) => ({
  createCardDetails: t.prismaField({
    type: 'CardDetails',
    description:
      'Adds a card, as a Stripe.js token (tok_...) or PaymentMethod id (pm_...), to your own user. Fires CardDetails.created.',
    authScopes: (_root, args) => ({ self: String(args.userId) }),
    args: {
      cardToken: t.arg.string({ required: true, validate: cardToken }),
      userId: t.arg.id({ required: true, validate: input.id }),
    },
    resolve: async (query, _root, args, ctx) => {
      const card = await ctx.db.cardDetails.create({
        ...query,
        data: { cardToken: args.cardToken, userId: String(args.userId), livemode: ctx.stripeLivemode },
      });
      await ctx.events.record(ctx.db, { model: 'CardDetails', operation: 'created', node: card });
      return card;
    },
  }),
  deleteCardDetails: t.prismaField({
    type: 'CardDetails',
    description:
      'Removes one of your own cards. Fires CardDetails.deleted, which detaches it at Stripe: no charge that has not started uses it. Charges already started may still complete on it: see chargesInFlight.',
    authScopes: async (_root, args, ctx) => {
      const card = await ctx.db.cardDetails.findUnique({ where: { id: String(args.id) }, select: { userId: true } });
      return card ? { self: card.userId } : false;
    },
    grantScopes: ['mutationResult'],
    args: { id: t.arg.id({ required: true, validate: input.id }) },
    resolve: async (query, _root, args, ctx) => {
      const card = await ctx.db.cardDetails.delete({ ...query, where: { id: String(args.id) } });
      await ctx.events.record(ctx.db, { model: 'CardDetails', operation: 'deleted', node: card });
      if (card.status === 'REQUIRES_ACTION') await cardAuthenticationAbandoned(ctx, card.userId);
      return card;
    },
  }),
  updateCardDetails: t.prismaField({
    type: 'CardDetails',
    description:
      "For the create-customer service: records the saved card (active, waiting for authentication, or rejected with Stripe's reason).",
    authScopes: { token: 'customers:write' },
    grantScopes: ['mutationResult'],
    args: {
      id: t.arg.id({ required: true, validate: input.id }),
      status: t.arg({ type: CardStatusEnum, required: true }),
      failureCode: t.arg.string({ required: false, validate: input.failureCode }),
      failureMessage: t.arg.string({ required: false, validate: input.failureMessage }),
      stripePaymentMethodId: t.arg.string({ required: false, validate: input.stripePaymentMethodId }),
      stripeSetupIntentId: t.arg.string({ required: false, validate: input.stripeSetupIntentId }),
      setupClientSecret: t.arg.string({ required: false, validate: input.clientSecret, extensions: secretValue }),
      brand: t.arg.string({ required: false, validate: z.string().max(32) }),
      last4: t.arg.string({ required: false, validate: z.string().regex(/^\d{4}$/, 'last4 is four digits') }),
      expMonth: t.arg.int({ required: false, validate: z.number().int().min(1).max(12) }),
      expYear: t.arg.int({ required: false, validate: z.number().int().min(2000).max(2200) }),
    },
    resolve: async (query, _root, args, ctx) => {
      const id = String(args.id);
      const previous = await ctx.db.cardDetails.findUnique({ where: { id } });
      if (!previous) throw notFound('CardDetails');
      const { id: _id, status, failureCode, failureMessage, ...stripe } = args;
      const card = await changeCard(ctx, previous, {
        status,
        failureCode: failureCode ?? null,
        failureMessage: failureMessage ?? null,
        setupClientSecret:
          status === 'REQUIRES_ACTION' ? (stripe.setupClientSecret ?? previous.setupClientSecret) : null,
        ...Object.fromEntries(
          Object.entries(stripe).filter(([key, value]) => value != null && key !== 'setupClientSecret'),
        ),
      });
      return ctx.db.cardDetails.findUniqueOrThrow({ ...query, where: { id: card.id } });
    },
  }),
}));
