import { stripeEventsOfPurchase } from '../stripe-webhook/events-of-purchase.js';
import { builder } from './builder.js';
import * as input from './inputs.js';

// A purchase's story for operators holding callbacks:admin: what Paygraph did, what it sent, what Stripe said.
const admin = { token: 'callbacks:admin' } as const;

type TimelineEntry = {
  at: Date;
  kind: 'CREATED' | 'DELIVERY' | 'STRIPE_EVENT' | 'REFUND' | 'PAID' | 'FAILED';
  title: string;
  deliveryId: string | null;
  stripeEventId: string | null;
  status: string | null;
};

const TimelineKind = builder.enumType('TimelineKind', {
  values: ['CREATED', 'DELIVERY', 'STRIPE_EVENT', 'REFUND', 'PAID', 'FAILED'] as const,
});
const TimelineEntryRef = builder.objectRef<TimelineEntry>('TimelineEntry').implement({
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime' }),
    kind: t.expose('kind', { type: TimelineKind }),
    title: t.exposeString('title'),
    deliveryId: t.exposeID('deliveryId', { nullable: true }),
    stripeEventId: t.exposeID('stripeEventId', { nullable: true, description: 'evt_... for a STRIPE_EVENT entry.' }),
    status: t.exposeString('status', { nullable: true, description: "A delivery's or a refund's status now." }),
  }),
});

const entry = (fields: Pick<TimelineEntry, 'at' | 'kind' | 'title'> & Partial<TimelineEntry>): TimelineEntry => ({
  deliveryId: null,
  stripeEventId: null,
  status: null,
  ...fields,
});

builder.queryFields((t) => ({
  purchaseTimeline: t.field({
    type: [TimelineEntryRef],
    nullable: true,
    authScopes: admin,
    description:
      "A purchase in time order: created, each callback delivery it and its refunds caused, Stripe's events about it, refunds, paid or failed. Null for an unknown id.",
    args: { id: t.arg.id({ required: true, validate: input.id }) },
    resolve: async (_root, args, ctx) => {
      const purchase = await ctx.db.purchase.findUnique({
        where: { id: String(args.id) },
        include: { refunds: { orderBy: { createdAt: 'asc' } } },
      });
      if (!purchase) return null;
      const [deliveries, stripeEvents] = await Promise.all([
        ctx.db.callbackDelivery.findMany({
          where: { nodeId: { in: [purchase.id, ...purchase.refunds.map((refund) => refund.id)] } },
          orderBy: { seq: 'asc' },
          take: 200,
        }),
        stripeEventsOfPurchase(ctx.db, purchase),
      ]);
      const entries: TimelineEntry[] = [
        entry({
          at: purchase.createdAt,
          kind: 'CREATED',
          title: `created: ${purchase.amount} ${purchase.currency}, "${purchase.description}"`,
        }),
        ...deliveries.map((delivery) =>
          entry({
            at: delivery.createdAt,
            kind: 'DELIVERY',
            title: `${delivery.callback} (${delivery.trigger}), ${delivery.attempts} attempt(s)`,
            deliveryId: delivery.id,
            status: delivery.status,
          }),
        ),
        ...stripeEvents.map((event) =>
          entry({
            at: event.receivedAt,
            kind: 'STRIPE_EVENT',
            title: `Stripe: ${event.type} (${event.id})${event.reason ? `, not applied: ${event.reason}` : ''}`,
            stripeEventId: event.id,
            status: event.outcome,
          }),
        ),
        ...purchase.refunds.map((refund) =>
          entry({
            at: refund.createdAt,
            kind: 'REFUND',
            title: `refund of ${refund.amount}${refund.reason ? `, ${refund.reason}` : ''}`,
            status: refund.status,
          }),
        ),
      ];
      if (purchase.paidAt)
        entries.push(entry({ at: purchase.paidAt, kind: 'PAID', title: `paid: ${purchase.stripeChargeId ?? ''}` }));
      if (purchase.status === 'FAILED') {
        entries.push(
          entry({
            at: purchase.updatedAt,
            kind: 'FAILED',
            title: `failed: ${purchase.failureCode ?? ''} ${purchase.failureMessage ?? ''}`,
          }),
        );
      }
      // Created comes first whatever the clocks say: its deliveries carry their transaction's start time, a little earlier.
      const rank = (item: TimelineEntry) => (item.kind === 'CREATED' ? 0 : 1);
      return entries.sort((a, b) => rank(a) - rank(b) || a.at.getTime() - b.at.getTime());
    },
  }),
}));
