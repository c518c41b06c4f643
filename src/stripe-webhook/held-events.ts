import type { Db } from '../db/client.js';
import { parseEvent, type StripeEventEnvelope } from './event-shape.js';
import { recordOutcome, type Outcome, type Scope } from './outcome.js';

/** Keeps an event about a PaymentIntent no purchase has recorded yet, to apply once one does. */
export async function holdEvent(db: Db, eventId: string, paymentIntentId: string): Promise<void> {
  await db.stripeEvent.update({ where: { id: eventId }, data: { heldForPaymentIntent: paymentIntentId } });
}

/**
 * A purchase has just recorded its PaymentIntent: Stripe's events about it that came first (a dispute
 * opened at once, a refund, its outcome) are applied now, in the order they arrived, each checked as
 * when it arrived, and its outcome kept. Returns how many.
 */
export async function applyHeldEvents(
  scope: Scope,
  paymentIntentId: string,
  apply: (scope: Scope, event: StripeEventEnvelope) => Promise<Outcome>,
): Promise<number> {
  const held = await scope.db.stripeEvent.findMany({
    where: { heldForPaymentIntent: paymentIntentId },
    orderBy: { receivedAt: 'asc' },
  });
  for (const row of held) {
    await scope.db.stripeEvent.update({ where: { id: row.id }, data: { heldForPaymentIntent: null } });
    // Checked when it arrived; a row written before the check existed is checked now.
    const parsed = parseEvent(row.payload);
    const outcome = 'event' in parsed ? await apply(scope, parsed.event) : ({ outcome: 'ignored' } as const);
    await recordOutcome(scope, row, outcome);
  }
  return held.length;
}
