import { z } from 'zod';
import { badInput, conflict, notFound } from '../errors.js';
import { RefundStatus } from '../generated/prisma/enums.js';
import { lockedPurchase } from '../payments/locks.js';
import { changeRefund } from '../payments/refund-state.js';
import { builder } from './builder.js';
import * as input from './inputs.js';
import { findsNodes, readableBy } from './readable-by.js';

const RefundStatusEnum = builder.enumType(RefundStatus, { name: 'RefundStatus' });
// The reasons Stripe's refunds API takes.
const reason = z.enum(['duplicate', 'fraudulent', 'requested_by_customer'], {
  error: 'reason must be duplicate, fraudulent or requested_by_customer',
});

builder.prismaObject('Refund', {
  authScopes: async (refund, ctx) =>
    readableBy(
      (await ctx.db.purchase.findUniqueOrThrow({ where: { id: refund.purchaseId }, select: { userId: true } })).userId,
    ),
  fields: (t) => ({
    id: t.exposeID('id'),
    amount: t.exposeInt('amount'),
    reason: t.exposeString('reason', { nullable: true }),
    status: t.expose('status', { type: RefundStatusEnum }),
    stripeRefundId: t.exposeString('stripeRefundId', { nullable: true }),
    failureCode: t.exposeString('failureCode', { nullable: true }),
    failureMessage: t.exposeString('failureMessage', { nullable: true }),
    purchase: t.relation('purchase'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  Refund: t.prismaField({
    type: 'Refund',
    nullable: true,
    authScopes: findsNodes,
    args: { id: t.arg.id({ required: true, validate: input.id }) },
    resolve: (query, _root, args, ctx) =>
      ctx.db.refund.findFirst({
        ...query,
        where: {
          id: String(args.id),
          ...(ctx.identity.kind === 'user' && { purchase: { userId: ctx.identity.userId } }),
        },
      }),
  }),
}));

builder.mutationFields((t) => ({
  refundPurchase: t.prismaField({
    type: 'Refund',
    description:
      'Refunds a paid purchase, all that remains or `amount` of it; several partial refunds add up, never past the amount paid. ' +
      'Fires Refund.created; the refund is made at Stripe once, however often that callback is delivered.',
    authScopes: { token: 'purchases:refund' },
    grantScopes: ['mutationResult'],
    args: {
      id: t.arg.id({ required: true, validate: input.id }),
      amount: t.arg.int({ required: false, validate: z.number().int().min(1).max(99_999_999) }),
      reason: t.arg.string({ required: false, validate: reason }),
    },
    resolve: async (query, _root, args, ctx) => {
      const purchase = await lockedPurchase(ctx.db, String(args.id));
      if (!purchase) throw notFound('Purchase');
      if (!purchase.isPaid || !purchase.stripePaymentIntentId)
        throw conflict('Only a purchase paid with a PaymentIntent can be refunded');
      const requested = await ctx.db.refund.aggregate({
        where: { purchaseId: purchase.id, status: { not: 'FAILED' } },
        _sum: { amount: true },
      });
      const remaining = purchase.amount - Math.max(requested._sum.amount ?? 0, purchase.amountRefunded);
      if (remaining <= 0) throw conflict('The purchase is already fully refunded');
      const amount = args.amount ?? remaining;
      if (amount > remaining) throw badInput(`At most ${remaining} remains to refund`);
      const refund = await ctx.db.refund.create({
        ...query,
        data: { purchaseId: purchase.id, amount, reason: args.reason ?? null },
      });
      await ctx.events.record(ctx.db, { model: 'Refund', operation: 'created', node: refund });
      return refund;
    },
  }),
  settleRefund: t.prismaField({
    type: 'Refund',
    description: "For the charge-customer service: records Stripe's answer to a refund request.",
    authScopes: { token: 'purchases:settle' },
    grantScopes: ['mutationResult'],
    args: {
      id: t.arg.id({ required: true, validate: input.id }),
      status: t.arg({ type: RefundStatusEnum, required: true }),
      stripeRefundId: t.arg.string({ required: false, validate: input.stripeRefundId }),
      failureCode: t.arg.string({ required: false, validate: input.failureCode }),
      failureMessage: t.arg.string({ required: false, validate: input.failureMessage }),
    },
    resolve: async (query, _root, args, ctx) => {
      const id = String(args.id);
      const found = await ctx.db.refund.findUnique({ where: { id } });
      if (!found) throw notFound('Refund');
      const purchase = await lockedPurchase(ctx.db, found.purchaseId);
      if (!purchase) throw notFound('Purchase');
      const previous = await ctx.db.refund.findUniqueOrThrow({ where: { id } });
      if (previous.stripeRefundId && args.stripeRefundId && previous.stripeRefundId !== args.stripeRefundId)
        throw conflict('The refund is already recorded with another Stripe refund');
      // Final answers stay final: a late or repeated write-back changes nothing.
      if (previous.status !== 'PENDING') return ctx.db.refund.findUniqueOrThrow({ ...query, where: { id } });
      return changeRefund(
        ctx,
        purchase,
        previous,
        {
          status: args.status,
          stripeRefundId: args.stripeRefundId,
          failureCode: args.failureCode,
          failureMessage: args.failureMessage,
        },
        query,
      );
    },
  }),
}));
