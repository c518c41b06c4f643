import { Repeater } from 'graphql-yoga';
import { whileSignedIn } from '../live/while-signed-in.js';
import { builder } from './builder.js';
import type { Context } from './context.js';
import * as input from './inputs.js';
import { readableBy } from './readable-by.js';

// GraphQL subscriptions, served over SSE by Yoga; events come from PostgreSQL NOTIFY (src/live/).
builder.subscriptionType({});

/**
 * The id now, then the id again at each committed change: a subscriber gets the current state first,
 * so a change just before it subscribed is not missed. Merged, both start at once, so listening
 * begins before that first answer; and a Repeater ends at once when the client leaves.
 */
const currentThenChanges = (id: string, changes: AsyncIterable<string>): AsyncIterable<string> =>
  Repeater.merge([[id], changes]);

// Someone else's node and an unknown id are refused alike, so ids cannot be probed.
const NOBODY = { self: '' } as const;

/** Who may watch a user's node: as who may read it (readableBy), decided when the subscription starts; the stream lasts while its session or token does (whileSignedIn). */
const watchableBy =
  (ownerOf: (ctx: Context, id: string) => Promise<{ userId: string } | null>) =>
  async (_root: unknown, args: { id: string | number }, ctx: Context) => {
    const node = await ownerOf(ctx, String(args.id));
    return node ? readableBy(node.userId) : NOBODY;
  };

builder.subscriptionFields((t) => ({
  purchaseUpdated: t.prismaField({
    type: 'Purchase',
    nullable: true,
    description:
      'The purchase now, then at every change (status, isPaid, failure), for its owner or a nodes:read token.',
    args: { id: t.arg.id({ required: true, validate: input.id }) },
    authScopes: watchableBy((ctx, id) => ctx.db.purchase.findUnique({ where: { id }, select: { userId: true } })),
    subscribe: (_root, args, ctx) =>
      whileSignedIn(ctx, currentThenChanges(String(args.id), ctx.live.subscribe('Purchase', String(args.id)))),
    resolve: (query, _id, args, ctx) => ctx.db.purchase.findUnique({ ...query, where: { id: String(args.id) } }),
  }),
  cardDetailsUpdated: t.prismaField({
    type: 'CardDetails',
    nullable: true,
    description:
      'The card details now, then at every change (ACTIVE or REJECTED), for their owner or a nodes:read token.',
    args: { id: t.arg.id({ required: true, validate: input.id }) },
    authScopes: watchableBy((ctx, id) => ctx.db.cardDetails.findUnique({ where: { id }, select: { userId: true } })),
    subscribe: (_root, args, ctx) =>
      whileSignedIn(ctx, currentThenChanges(String(args.id), ctx.live.subscribe('CardDetails', String(args.id)))),
    resolve: (query, _id, args, ctx) => ctx.db.cardDetails.findUnique({ ...query, where: { id: String(args.id) } }),
  }),
  callbackDeliveryUpdated: t.prismaField({
    type: 'CallbackDelivery',
    nullable: true,
    description:
      'Every new delivery and every attempt or status change of one, for callbacks:admin; null once removed.',
    authScopes: { token: 'callbacks:admin' },
    subscribe: (_root, _args, ctx) => whileSignedIn(ctx, ctx.live.subscribe('AnyCallbackDelivery')),
    resolve: (query, id, _args, ctx) => ctx.db.callbackDelivery.findUnique({ ...query, where: { id: String(id) } }),
  }),
}));
