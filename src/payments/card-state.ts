import type { CardDetails, Prisma } from '../generated/prisma/client.js';
import type { CardStatus } from '../generated/prisma/enums.js';
import type { Context } from '../schema/context.js';
import { abandonWaitingForCard, stopWaitingForCard } from './awaiting-authentication.js';
import { wakeWaitingCharges } from './wake-charges.js';

// A purchase waits while its user's card is in one of these; charge-customer answers 409 meanwhile.
const BEING_SAVED: readonly CardStatus[] = ['PENDING', 'REQUIRES_ACTION'];
/** The failure code of a card whose SetupIntent was canceled while it waited for the owner's 3-D Secure. */
export const SETUP_CANCELED = 'setup_intent_canceled';

/**
 * Every change of a card's state, from create-customer's write-back or from a Stripe event. A
 * detached card stays detached (it can never be charged again). A card becoming ACTIVE wakes the
 * user's purchases that wait for a card, so they are charged now instead of at their retry backoff;
 * a card that stops being saved (REJECTED, its 3-D Secure failed) wakes them too, so one with no
 * other card fails `no_payment_method` now rather than at its next retry.
 */
export async function changeCard(
  ctx: Pick<Context, 'db' | 'events'>,
  previous: CardDetails,
  data: Prisma.CardDetailsUpdateInput,
): Promise<CardDetails> {
  if (previous.status === 'DETACHED') return previous;
  const card = await ctx.db.cardDetails.update({ where: { id: previous.id }, data });
  await ctx.events.record(ctx.db, { model: 'CardDetails', operation: 'updated', node: card, previous });
  const settled = card.status === 'ACTIVE' || (card.status === 'REJECTED' && BEING_SAVED.includes(previous.status));
  if (settled && previous.status !== card.status) await wakeWaitingCharges(ctx.db, card.userId);
  if (card.status === 'ACTIVE' && previous.status !== 'ACTIVE') await stopWaitingForCard(ctx, card.userId);
  const abandoned = card.status === 'DETACHED' || (card.status === 'REJECTED' && card.failureCode === SETUP_CANCELED);
  if (previous.status === 'REQUIRES_ACTION' && abandoned) await cardAuthenticationAbandoned(ctx, card.userId);
  return card;
}

/**
 * A card that waited for its owner's 3-D Secure will not be saved (its SetupIntent canceled, the card
 * detached or deleted): the purchases waiting for it fail now, unless another card may still pay them,
 * and their parked charges are woken to finish (charge-customer finds them settled).
 */
export async function cardAuthenticationAbandoned(ctx: Pick<Context, 'db' | 'events'>, userId: string): Promise<void> {
  await wakeWaitingCharges(ctx.db, userId);
  await abandonWaitingForCard(ctx, userId);
}

/**
 * Stripe lost the user's customer (deleted in the Dashboard, a local Stripe restarted): its saved cards
 * went with it (deleting a customer detaches its PaymentMethods, Stripe's "Delete a customer" API
 * reference), so they are never charged again. Cards still being saved are left to create-customer,
 * which saves them to a new customer.
 */
export async function detachCardsOfLostCustomer(ctx: Pick<Context, 'db' | 'events'>, userId: string): Promise<void> {
  await detachLostCards(ctx, { userId, status: 'ACTIVE' }, LOST_CUSTOMER);
}

/** Stripe no longer knows this saved card's PaymentMethod: the user's card holding it is never charged again. */
export async function detachLostPaymentMethod(
  ctx: Pick<Context, 'db' | 'events'>,
  userId: string,
  stripePaymentMethodId: string,
): Promise<void> {
  await detachLostCards(ctx, { userId, stripePaymentMethodId }, LOST_PAYMENT_METHOD);
}

const LOST_CUSTOMER = {
  failureCode: 'customer_missing',
  failureMessage: 'Stripe no longer knows the customer this card was saved to: add the card again',
};
const LOST_PAYMENT_METHOD = {
  failureCode: 'payment_method_missing',
  failureMessage: 'Stripe no longer knows this card: add it again',
};

async function detachLostCards(
  ctx: Pick<Context, 'db' | 'events'>,
  where: Prisma.CardDetailsWhereInput,
  failure: { failureCode: string; failureMessage: string },
): Promise<void> {
  const cards = await ctx.db.cardDetails.findMany({ where });
  for (const card of cards) await changeCard(ctx, card, { status: 'DETACHED', ...failure });
}
