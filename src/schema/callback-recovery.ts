import type { RedeliveryFilter } from '../callbacks/store/redelivery.js';
import { badInput } from '../errors.js';
import { builder } from './builder.js';
import * as input from './inputs.js';

// Recovery after an outage, and a purchase's story, for operators holding callbacks:admin.
const admin = { token: 'callbacks:admin' } as const;

const RedeliverableStatus = builder.enumType('RedeliverableStatus', { values: ['FAILED', 'DEAD'] as const });

const recoveryArgs = builder.args((t) => ({
  callback: t.string({ required: true }),
  statuses: t.field({ type: [RedeliverableStatus], required: false, description: 'Default: both.' }),
  createdAfter: t.field({ type: 'DateTime', required: false, description: 'Inclusive.' }),
  createdBefore: t.field({ type: 'DateTime', required: false, description: 'Exclusive.' }),
}));

function recoveryFilter(args: { callback: string; statuses?: readonly ('FAILED' | 'DEAD')[] | null; createdAfter?: Date | null; createdBefore?: Date | null }): RedeliveryFilter {
  if (args.createdAfter && args.createdBefore && args.createdAfter >= args.createdBefore) {
    throw badInput('createdAfter must be before createdBefore');
  }
  return {
    callback: args.callback,
    statuses: args.statuses?.length ? args.statuses : ['FAILED', 'DEAD'],
    createdAfter: args.createdAfter ?? null,
    createdBefore: args.createdBefore ?? null,
  };
}

builder.queryFields((t) => ({
  redeliverableCount: t.int({
    authScopes: admin,
    description: 'How many deliveries redeliverCallbacks would send again with the same arguments: ask before you run it.',
    args: recoveryArgs,
    resolve: (_root, args, ctx) => ctx.callbacks.countRedeliverable(recoveryFilter(args)),
  }),
}));

builder.mutationFields((t) => ({
  triggerCallback: t.prismaField({
    type: 'CallbackDelivery',
    authScopes: admin,
    description: 'Sends a callback now for an existing node: a fresh event, signed and recorded like any other (its `when` is not checked).',
    args: { name: t.arg.string({ required: true }), nodeId: t.arg.id({ required: true, validate: input.id }) },
    resolve: async (query, _root, args, ctx) => {
      const id = await ctx.callbacks.trigger(args.name, String(args.nodeId));
      return ctx.db.callbackDelivery.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  redeliverCallbacks: t.int({
    authScopes: admin,
    description: 'Sends the failed or dead deliveries of one callback in a time range again; returns how many.',
    args: recoveryArgs,
    resolve: (_root, args, ctx) => ctx.callbacks.redeliverMatching(recoveryFilter(args)),
  }),
}));

type TimelineEntry = { at: Date; kind: 'CREATED' | 'DELIVERY' | 'PAID' | 'FAILED'; title: string; deliveryId: string | null; status: string | null };

const TimelineKind = builder.enumType('TimelineKind', { values: ['CREATED', 'DELIVERY', 'PAID', 'FAILED'] as const });
const TimelineEntryRef = builder.objectRef<TimelineEntry>('TimelineEntry').implement({
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime' }),
    kind: t.expose('kind', { type: TimelineKind }),
    title: t.exposeString('title'),
    deliveryId: t.exposeID('deliveryId', { nullable: true }),
    status: t.exposeString('status', { nullable: true, description: 'A delivery\'s status now.' }),
  }),
});

builder.queryFields((t) => ({
  purchaseTimeline: t.field({
    type: [TimelineEntryRef],
    nullable: true,
    authScopes: admin,
    description: 'A purchase in time order: created, each callback delivery it caused, paid or failed. Null for an unknown id.',
    args: { id: t.arg.id({ required: true, validate: input.id }) },
    resolve: async (_root, args, ctx) => {
      const purchase = await ctx.db.purchase.findUnique({ where: { id: String(args.id) } });
      if (!purchase) return null;
      const deliveries = await ctx.db.callbackDelivery.findMany({ where: { nodeId: purchase.id }, orderBy: { seq: 'asc' }, take: 200 });
      const entries: TimelineEntry[] = [
        { at: purchase.createdAt, kind: 'CREATED', title: `created: ${purchase.amount} ${purchase.currency}, "${purchase.description}"`, deliveryId: null, status: null },
        ...deliveries.map((delivery) => ({
          at: delivery.createdAt,
          kind: 'DELIVERY' as const,
          title: `${delivery.callback} (${delivery.trigger}), ${delivery.attempts} attempt(s)`,
          deliveryId: delivery.id,
          status: delivery.status,
        })),
      ];
      if (purchase.paidAt) entries.push({ at: purchase.paidAt, kind: 'PAID', title: `paid: ${purchase.stripeChargeId ?? ''}`, deliveryId: null, status: null });
      if (purchase.status === 'FAILED') {
        entries.push({ at: purchase.updatedAt, kind: 'FAILED', title: `failed: ${purchase.failureCode ?? ''} ${purchase.failureMessage ?? ''}`, deliveryId: null, status: null });
      }
      return entries.sort((a, b) => a.at.getTime() - b.at.getTime());
    },
  }),
}));
