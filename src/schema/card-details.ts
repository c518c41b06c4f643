import { z } from 'zod';
import { notFound } from '../errors.js';
import { CardStatus } from '../generated/prisma/enums.js';
import { builder } from './builder.js';
import * as input from './inputs.js';
import { pageArgs, toPage } from './pagination.js';
import { findsNodes, ownedByCaller, readableBy } from './readable-by.js';

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
    user: t.relation('user'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  CardDetails: t.prismaField({
    type: 'CardDetails',
    nullable: true,
    authScopes: findsNodes,
    args: { id: t.arg.id({ required: true, validate: input.id }) },
    resolve: (query, _root, args, ctx) => ctx.db.cardDetails.findFirst({ ...query, where: { AND: [{ id: String(args.id) }, ownedByCaller(ctx, 'userId')] } }),
  }),
  allCardDetails: t.prismaField({
    type: ['CardDetails'],
    description: "The caller's own card details; every user's for a token with nodes:read.",
    authScopes: findsNodes,
    args: pageArgs,
    resolve: (query, _root, args, ctx) =>
      ctx.db.cardDetails.findMany({
        ...query,
        ...toPage(args),
        where: ownedByCaller(ctx, 'userId'),
      }),
  }),
}));

builder.mutationFields((t) => ({
  createCardDetails: t.prismaField({
    type: 'CardDetails',
    description: 'Adds a card, as a Stripe.js token, to your own user. Fires CardDetails.created.',
    authScopes: (_root, args) => ({ self: String(args.userId) }),
    args: {
      cardToken: t.arg.string({ required: true, validate: cardToken }),
      userId: t.arg.id({ required: true, validate: input.id }),
    },
    resolve: async (query, _root, args, ctx) => {
      const card = await ctx.db.cardDetails.create({
        ...query,
        data: { cardToken: args.cardToken, userId: String(args.userId) },
      });
      await ctx.events.record(ctx.db, { model: 'CardDetails', operation: 'created', node: card });
      return card;
    },
  }),
  deleteCardDetails: t.prismaField({
    type: 'CardDetails',
    description: 'Removes one of your own cards. Fires CardDetails.deleted.',
    authScopes: async (_root, args, ctx) => {
      const card = await ctx.db.cardDetails.findUnique({ where: { id: String(args.id) }, select: { userId: true } });
      return card ? { self: card.userId } : false;
    },
    grantScopes: ['mutationResult'],
    args: { id: t.arg.id({ required: true, validate: input.id }) },
    resolve: async (query, _root, args, ctx) => {
      const card = await ctx.db.cardDetails.delete({ ...query, where: { id: String(args.id) } });
      await ctx.events.record(ctx.db, { model: 'CardDetails', operation: 'deleted', node: card });
      return card;
    },
  }),
  updateCardDetails: t.prismaField({
    type: 'CardDetails',
    description: 'For the create-customer service: marks a card active, or rejected with Stripe\'s reason.',
    authScopes: { token: 'customers:write' },
    grantScopes: ['mutationResult'],
    args: {
      id: t.arg.id({ required: true, validate: input.id }),
      status: t.arg({ type: CardStatusEnum, required: true }),
      failureCode: t.arg.string({ required: false, validate: input.failureCode }),
      failureMessage: t.arg.string({ required: false, validate: input.failureMessage }),
    },
    resolve: async (query, _root, args, ctx) => {
      const id = String(args.id);
      const previous = await ctx.db.cardDetails.findUnique({ where: { id } });
      if (!previous) throw notFound('CardDetails');
      const card = await ctx.db.cardDetails.update({
        ...query,
        where: { id },
        data: { status: args.status, failureCode: args.failureCode ?? null, failureMessage: args.failureMessage ?? null },
      });
      await ctx.events.record(ctx.db, { model: 'CardDetails', operation: 'updated', node: card, previous });
      return card;
    },
  }),
}));
