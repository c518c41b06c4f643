import { z } from 'zod';
import { notFound } from '../errors.js';
import { settle } from '../payments/write-back.js';
import { applyStripeEvent } from '../stripe-webhook/apply-event.js';
import { lockedPurchase, lockPaymentIntent } from '../payments/locks.js';
import { applyHeldEvents } from '../stripe-webhook/held-events.js';
import { PurchaseStatus, PurchaseWait } from '../generated/prisma/enums.js';
import { waitForCardAuthentication } from '../payments/awaiting-authentication.js';
import { builder } from './builder.js';
import { currency } from './currencies.js';
import * as input from './inputs.js';
import { pageArgs, toPage } from './pagination.js';
import { findsNodes, ownedByCaller, readableBy } from './readable-by.js';
import { secretValue } from './secret-arguments.js';

const PurchaseStatusEnum = builder.enumType(PurchaseStatus, { name: 'PurchaseStatus' });
const PurchaseWaitEnum = builder.enumType(PurchaseWait, {
  name: 'PurchaseWait',
  description: 'What an unsettled purchase waits for before it can be charged.',
});

builder.prismaObject('Purchase', {
  authScopes: (purchase) => readableBy(purchase.userId),
  fields: (t) => ({
    id: t.exposeID('id'),
    description: t.exposeString('description'),
    amount: t.exposeInt('amount', {
      description: "In the currency's smallest unit (cents for usd), as Stripe counts.",
    }),
    currency: t.exposeString('currency'),
    isPaid: t.exposeBoolean('isPaid'),
    status: t.expose('status', { type: PurchaseStatusEnum }),
    stripeChargeId: t.exposeString('stripeChargeId', { nullable: true }),
    stripePaymentIntentId: t.exposeString('stripePaymentIntentId', { nullable: true }),
    clientSecret: t.exposeString('clientSecret', {
      nullable: true,
      description:
        "The PaymentIntent's client secret while the bank waits for the owner (REQUIRES_ACTION): finish with Stripe.js. The owner only.",
      authScopes: (purchase) => ({ self: purchase.userId }),
    }),
    amountRefunded: t.exposeInt('amountRefunded', { description: 'Refunded so far, in the smallest unit.' }),
    disputeStatus: t.exposeString('disputeStatus', {
      nullable: true,
      description: "Stripe's dispute status, once the payment is disputed.",
    }),
    livemode: t.exposeBoolean('livemode'),
    refunds: t.relation('refunds', { args: pageArgs, query: (args) => toPage(args) }),
    failureCode: t.exposeString('failureCode', { nullable: true }),
    failureMessage: t.exposeString('failureMessage', { nullable: true }),
    waitingFor: t.field({
      type: PurchaseWaitEnum,
      nullable: true,
      description:
        "While PENDING: what its charge waits for. CARD_AUTHENTICATION: the user's card waits for the owner's 3-D Secure (CardDetails.setupClientSecret); it is charged once that is done, and FAILED card_authentication_abandoned if it is canceled or not done in time.",
      resolve: (purchase) => (purchase.status === 'PENDING' ? purchase.waitingFor : null),
    }),
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
    resolve: (query, _root, args, ctx) =>
      ctx.db.purchase.findFirst({ ...query, where: { AND: [{ id: String(args.id) }, ownedByCaller(ctx, 'userId')] } }),
  }),
  allPurchases: t.prismaField({
    type: ['Purchase'],
    description: "The caller's own purchases; every user's for a token with nodes:read.",
    authScopes: findsNodes,
    args: pageArgs,
    resolve: (query, _root, args, ctx) =>
      ctx.db.purchase.findMany({
        ...query,
        ...toPage(args, ownedByCaller(ctx, 'userId')),
      }),
  }),
}));

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
          livemode: ctx.stripeLivemode,
          userId: String(args.userId),
        },
      });
      await ctx.events.record(ctx.db, { model: 'Purchase', operation: 'created', node: purchase });
      return purchase;
    },
  }),
  updatePurchase: t.prismaField({
    type: 'Purchase',
    description:
      'For the charge-customer service: settles a purchase as paid, failed, waiting for authentication or processing.',
    authScopes: { token: 'purchases:settle' },
    grantScopes: ['mutationResult'],
    args: {
      id: t.arg.id({ required: true, validate: input.id }),
      isPaid: t.arg.boolean({ required: false }),
      status: t.arg({ type: PurchaseStatusEnum, required: false }),
      stripeChargeId: t.arg.string({ required: false, validate: input.stripeChargeId }),
      stripePaymentIntentId: t.arg.string({ required: false, validate: input.stripePaymentIntentId }),
      clientSecret: t.arg.string({ required: false, validate: input.clientSecret, extensions: secretValue }),
      failureCode: t.arg.string({ required: false, validate: input.failureCode }),
      failureMessage: t.arg.string({ required: false, validate: input.failureMessage }),
      waitingFor: t.arg({
        type: PurchaseWaitEnum,
        required: false,
        description: 'The charge waits for this (alone, without a status): FAILED instead once it has waited too long.',
      }),
    },
    resolve: async (query, _root, args, ctx) => {
      const id = String(args.id);
      // Taken before the purchase's lock, in the order Stripe's events take them.
      if (args.stripePaymentIntentId) await lockPaymentIntent(ctx.db, args.stripePaymentIntentId);
      const previous = await lockedPurchase(ctx.db, id);
      if (!previous) throw notFound('Purchase');
      const data = args.waitingFor
        ? waitForCardAuthentication(previous, ctx.cardAuthenticationTimeoutMs)
        : settle(previous, args);
      const purchase = await ctx.db.purchase.update({ ...query, where: { id }, data });
      await ctx.events.record(ctx.db, { model: 'Purchase', operation: 'updated', node: purchase, previous });
      if (!purchase.stripePaymentIntentId || previous.stripePaymentIntentId) return purchase;
      // Stripe's events about this PaymentIntent that came before this write-back apply now.
      const applied = await applyHeldEvents(ctx, purchase.stripePaymentIntentId, applyStripeEvent);
      return applied === 0 ? purchase : ctx.db.purchase.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
}));
