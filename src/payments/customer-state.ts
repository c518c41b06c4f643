import type { Prisma, User } from '../generated/prisma/client.js';
import type { Context } from '../schema/context.js';
import { wakeWaitingCharges } from './wake-charges.js';

/**
 * Every change of a user's Stripe customer id, from create-customer's and charge-customer's
 * write-backs or from a Stripe event: `next` gets the stored id and returns the one to keep.
 * A change fires User.updated, and a new customer wakes the user's waiting charges (it may be the
 * last thing one needed: its card can be saved first) unless `wakeCharges` is false. Null when
 * there is no such user.
 */
export async function changeStripeId(
  ctx: Pick<Context, 'db' | 'events'>,
  id: string,
  next: (current: string | null) => string | null,
  {
    query = {},
    wakeCharges = true,
  }: { query?: { include?: Prisma.UserInclude; select?: Prisma.UserSelect }; wakeCharges?: boolean } = {},
): Promise<User | null> {
  const previous = await ctx.db.user.findUnique({ where: { id } });
  if (!previous) return null;
  const stripeId = next(previous.stripeId);
  // Unchanged: read again only for the relations a GraphQL selection asks for.
  if (stripeId === previous.stripeId)
    return query.include || query.select ? ctx.db.user.findUniqueOrThrow({ ...query, where: { id } }) : previous;
  const user = await ctx.db.user.update({ ...query, where: { id }, data: { stripeId } });
  await ctx.events.record(ctx.db, { model: 'User', operation: 'updated', node: user, previous });
  if (stripeId && wakeCharges) await wakeWaitingCharges(ctx.db, id);
  return user;
}
