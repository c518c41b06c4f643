import type { CardDetails, Prisma } from '../generated/prisma/client.js';
import type { Context } from '../schema/context.js';
import { wakeWaitingCharges } from './wake-charges.js';

/**
 * Every change of a card's state, from create-customer's write-back or from a Stripe event. A
 * detached card stays detached (it can never be charged again); a card becoming ACTIVE wakes the
 * user's purchases that wait for a card, so they are charged now instead of at their retry backoff.
 */
export async function changeCard(ctx: Pick<Context, 'db' | 'events'>, previous: CardDetails, data: Prisma.CardDetailsUpdateInput): Promise<CardDetails> {
  if (previous.status === 'DETACHED') return previous;
  const card = await ctx.db.cardDetails.update({ where: { id: previous.id }, data });
  await ctx.events.record(ctx.db, { model: 'CardDetails', operation: 'updated', node: card, previous });
  if (card.status === 'ACTIVE' && previous.status !== 'ACTIVE') await wakeWaitingCharges(ctx.db, card.userId);
  return card;
}
