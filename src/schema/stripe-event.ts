import { z } from 'zod';
import { builder } from './builder.js';
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from './page-size.js';

// Stripe's events as Paygraph received them, for operators holding callbacks:admin: above all the
// ones it refused to apply (not the purchase's own payment, another account...), with the reason.
const admin = { token: 'callbacks:admin' } as const;
const eventId = z.string().regex(/^evt_\w{1,250}$/, 'Not a Stripe event id (evt_...)');

builder.prismaObject('StripeEvent', {
  authScopes: admin,
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.exposeString('type'),
    livemode: t.exposeBoolean('livemode'),
    receivedAt: t.expose('receivedAt', { type: 'DateTime' }),
    outcome: t.exposeString('outcome', {
      nullable: true,
      description:
        'What applying it did: applied, unchanged, ignored, held (waits for its purchase to record the PaymentIntent) or "not applied" (see reason).',
    }),
    reason: t.exposeString('reason', {
      nullable: true,
      description: 'Why a verified event was not applied; it changed nothing.',
    }),
    payload: t.string({
      description: 'The event as Stripe sent it (JSON).',
      resolve: (event) => JSON.stringify(event.payload),
    }),
  }),
});

builder.queryFields((t) => ({
  stripeEvent: t.prismaField({
    type: 'StripeEvent',
    nullable: true,
    authScopes: admin,
    description:
      'One Stripe event by its id (what a StripeEvent.notApplied payload reads); null when it was never received.',
    args: { id: t.arg.id({ required: true, validate: eventId }) },
    resolve: (query, _root, args, ctx) => ctx.db.stripeEvent.findUnique({ ...query, where: { id: String(args.id) } }),
  }),
  stripeEvents: t.prismaField({
    type: ['StripeEvent'],
    authScopes: admin,
    description:
      'Stripe events received, newest first; `notApplied: true` lists only those refused, with their reason.',
    args: {
      notApplied: t.arg.boolean({ required: false }),
      first: t.arg.int({ required: false, validate: z.number().int().min(1).max(MAX_PAGE_SIZE) }),
      before: t.arg({
        type: 'DateTime',
        required: false,
        description: 'Only events received before this time: the last receivedAt of the previous page.',
      }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.db.stripeEvent.findMany({
        ...query,
        where: {
          ...(args.notApplied && { outcome: 'not applied' }),
          ...(args.before && { receivedAt: { lt: args.before } }),
        },
        orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
        take: args.first ?? DEFAULT_PAGE_SIZE,
      }),
  }),
}));
