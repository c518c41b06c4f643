import type { Db } from '../db/client.js';

export interface StripeEventSummary {
  id: string;
  type: string;
  receivedAt: Date;
  outcome: string | null;
  reason: string | null;
}

/**
 * The Stripe events recorded about one purchase: its PaymentIntent's, its charge's (refunds,
 * disputes) and any that carry its id in metadata. Containment (`@>`) is what the GIN index on
 * stripe_event.payload answers, so this stays quick however many events are kept.
 */
export async function stripeEventsOfPurchase(
  db: Db,
  purchase: { id: string; stripePaymentIntentId: string | null; stripeChargeId: string | null },
  limit = 100,
): Promise<StripeEventSummary[]> {
  const object = (fields: Record<string, unknown>) => JSON.stringify({ data: { object: fields } });
  const patterns = [object({ metadata: { purchaseId: purchase.id } })];
  if (purchase.stripePaymentIntentId)
    patterns.push(
      object({ id: purchase.stripePaymentIntentId }),
      object({ payment_intent: purchase.stripePaymentIntentId }),
    );
  if (purchase.stripeChargeId)
    patterns.push(object({ id: purchase.stripeChargeId }), object({ charge: purchase.stripeChargeId }));
  return db.$queryRaw<StripeEventSummary[]>`
    select id, type, received_at as "receivedAt", outcome, reason from stripe_event
     where payload @> any(${patterns}::jsonb[])
     order by received_at limit ${limit}`;
}
