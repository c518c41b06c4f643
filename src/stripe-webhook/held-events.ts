import type Stripe from 'stripe';
import type { Db } from '../db/client.js';
import type { EventRecorder } from '../callbacks/events.js';

type Scope = { db: Db; events: EventRecorder };

/** Keeps an event about a PaymentIntent no purchase has recorded yet, to apply once one does. */
export async function holdEvent(db: Db, eventId: string, paymentIntentId: string): Promise<void> {
  await db.stripeEvent.update({ where: { id: eventId }, data: { heldForPaymentIntent: paymentIntentId } });
}

/**
 * A purchase has just recorded its PaymentIntent: Stripe's events about it that came first (a dispute
 * opened at once, a refund, its outcome) are applied now, in the order they arrived. Returns how many.
 */
export async function applyHeldEvents(scope: Scope, paymentIntentId: string, apply: (scope: Scope, event: Stripe.Event) => Promise<unknown>): Promise<number> {
  const held = await scope.db.stripeEvent.findMany({ where: { heldForPaymentIntent: paymentIntentId }, orderBy: { receivedAt: 'asc' } });
  for (const row of held) {
    await scope.db.stripeEvent.update({ where: { id: row.id }, data: { heldForPaymentIntent: null } });
    await apply(scope, row.payload as unknown as Stripe.Event);
  }
  return held.length;
}
