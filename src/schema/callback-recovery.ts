import type { RedeliveryFilter } from '../callbacks/store/redelivery.js';
import { badInput } from '../errors.js';
import { builder } from './builder.js';
import * as input from './inputs.js';

// Recovery after an outage, for operators holding callbacks:admin.
const admin = { token: 'callbacks:admin' } as const;

const RedeliverableStatus = builder.enumType('RedeliverableStatus', { values: ['FAILED', 'DEAD'] as const });

const recoveryArgs = builder.args((t) => ({
  callback: t.string({ required: true }),
  statuses: t.field({ type: [RedeliverableStatus], required: false, description: 'Default: both.' }),
  createdAfter: t.field({ type: 'DateTime', required: false, description: 'Inclusive.' }),
  createdBefore: t.field({ type: 'DateTime', required: false, description: 'Exclusive.' }),
}));

function recoveryFilter(args: {
  callback: string;
  statuses?: readonly ('FAILED' | 'DEAD')[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}): RedeliveryFilter {
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
    description:
      'How many deliveries redeliverCallbacks would send again with the same arguments: ask before you run it.',
    args: recoveryArgs,
    resolve: (_root, args, ctx) => ctx.callbacks.countRedeliverable(recoveryFilter(args)),
  }),
}));

builder.mutationFields((t) => ({
  triggerCallback: t.prismaField({
    type: 'CallbackDelivery',
    authScopes: admin,
    description:
      'Sends a callback now for an existing node: a fresh event, signed and recorded like any other (its `when` is not checked).',
    args: { name: t.arg.string({ required: true }), nodeId: t.arg.id({ required: true, validate: input.id }) },
    resolve: async (query, _root, args, ctx) => {
      const id = await ctx.callbacks.within(ctx.db).trigger(args.name, String(args.nodeId));
      return ctx.db.callbackDelivery.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  redeliverCallbacks: t.int({
    authScopes: admin,
    description: 'Sends the failed or dead deliveries of one callback in a time range again; returns how many.',
    args: recoveryArgs,
    resolve: (_root, args, ctx) => ctx.callbacks.within(ctx.db).redeliverMatching(recoveryFilter(args)),
  }),
}));
