import { z } from 'zod';
import { badInput, conflict, notFound } from '../errors.js';
import { PurchaseStatus } from '../generated/prisma/enums.js';
import type { Purchase } from '../generated/prisma/client.js';
import { builder } from './builder.js';
import { currency } from './currencies.js';
import * as input from './inputs.js';
import { pageArgs, toPage } from './pagination.js';
import { findsNodes, ownedByCaller, readableBy } from './readable-by.js';

const PurchaseStatusEnum = builder.enumType(PurchaseStatus, { name: 'PurchaseStatus' });

builder.prismaObject('Purchase', {
  authScopes: (purchase) => readableBy(purchase.userId),
  fields: (t) => ({
    id: t.exposeID('id'),
    description: t.exposeString('description'),
    amount: t.exposeInt('amount', { description: "In the currency's smallest unit (cents for usd), as Stripe counts." }),
    currency: t.exposeString('currency'),
    isPaid: t.exposeBoolean('isPaid'),
    status: t.expose('status', { type: PurchaseStatusEnum }),
    stripeChargeId: t.exposeString('stripeChargeId', { nullable: true }),
    failureCode: t.exposeString('failureCode', { nullable: true }),
    failureMessage: t.exposeString('failureMessage', { nullable: true }),
    user: t.relation('user'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    paidAt: t.expose('paidAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryFields((t) => ({
  Purchase: t.prismaField({
    type: 'Purchase',
    nullable: true,
    authScopes: findsNodes,
    args: { id: t.arg.id({ required: true, validate: input.id }) },
    resolve: (query, _root, args, ctx) => ctx.db.purchase.findFirst({ ...query, where: { AND: [{ id: String(args.id) }, ownedByCaller(ctx, 'userId')] } }),
  }),
  allPurchases: t.prismaField({
    type: ['Purchase'],
    description: "The caller's own purchases; every user's for a token with nodes:read.",
    authScopes: findsNodes,
    args: pageArgs,
    resolve: (query, _root, args, ctx) =>
      ctx.db.purchase.findMany({
        ...query,
        ...toPage(args),
        where: ownedByCaller(ctx, 'userId'),
      }),
  }),
}));

type Settlement = {
  isPaid?: boolean | null;
  status?: PurchaseStatus | null;
  stripeChargeId?: string | null;
  failureCode?: string | null;
  failureMessage?: string | null;
};

/** The money rules of settling: a paid purchase stays paid, and keeps the one charge it was paid with. */
function settle(previous: Purchase, change: Settlement) {
  const isPaid = change.isPaid ?? (change.status ? change.status === 'PAID' : previous.isPaid);
  const status = change.status ?? (isPaid ? 'PAID' : previous.status);
  if (isPaid !== (status === 'PAID')) throw badInput('isPaid and status disagree: a paid purchase has status PAID');
  if (previous.isPaid && !isPaid) throw conflict('The purchase is already paid');
  const stripeChargeId = change.stripeChargeId ?? previous.stripeChargeId;
  if (previous.stripeChargeId && stripeChargeId !== previous.stripeChargeId) {
    throw conflict('The purchase is already settled with another charge');
  }
  return {
    isPaid,
    status,
    stripeChargeId,
    failureCode: isPaid ? null : (change.failureCode ?? previous.failureCode),
    failureMessage: isPaid ? null : (change.failureMessage ?? previous.failureMessage),
    paidAt: isPaid ? (previous.paidAt ?? new Date()) : null,
  };
}

builder.mutationFields((t) => ({
  createPurchase: t.prismaField({
    type: 'Purchase',
    description: 'Creates an unpaid purchase for your own user. Fires Purchase.created.',
    // A user can never declare a purchase paid: only the payment service settles it.
    authScopes: (_root, args) => (args.isPaid ? false : { self: String(args.userId) }),
    args: {
      amount: t.arg.int({ required: true, validate: z.number().int().min(1).max(99_999_999) }),
      description: t.arg.string({ required: true, validate: z.string().trim().min(1).max(500) }),
      currency: t.arg.string({ required: false, validate: currency }),
      isPaid: t.arg.boolean({ required: false }),
      userId: t.arg.id({ required: true, validate: input.id }),
    },
    resolve: async (query, _root, args, ctx) => {
      const purchase = await ctx.db.purchase.create({
        ...query,
        data: {
          amount: args.amount,
          description: args.description,
          currency: (args.currency ?? 'usd').toLowerCase(),
          userId: String(args.userId),
        },
      });
      await ctx.events.record(ctx.db, { model: 'Purchase', operation: 'created', node: purchase });
      return purchase;
    },
  }),
  updatePurchase: t.prismaField({
    type: 'Purchase',
    description: 'For the charge-customer service: settles a purchase as paid or failed.',
    authScopes: { token: 'purchases:settle' },
    grantScopes: ['mutationResult'],
    args: {
      id: t.arg.id({ required: true, validate: input.id }),
      isPaid: t.arg.boolean({ required: false }),
      status: t.arg({ type: PurchaseStatusEnum, required: false }),
      stripeChargeId: t.arg.string({ required: false, validate: input.stripeChargeId }),
      failureCode: t.arg.string({ required: false, validate: input.failureCode }),
      failureMessage: t.arg.string({ required: false, validate: input.failureMessage }),
    },
    resolve: async (query, _root, args, ctx) => {
      const id = String(args.id);
      // Row lock: two concurrent settlements of one purchase are applied one after the other.
      const [locked] = await ctx.db.$queryRaw<{ id: string }[]>`select id from "Purchase" where id = ${id} for update`;
      const previous = locked ? await ctx.db.purchase.findUnique({ where: { id } }) : null;
      if (!previous) throw notFound('Purchase');
      const purchase = await ctx.db.purchase.update({ ...query, where: { id }, data: settle(previous, args) });
      await ctx.events.record(ctx.db, { model: 'Purchase', operation: 'updated', node: purchase, previous });
      return purchase;
    },
  }),
}));
