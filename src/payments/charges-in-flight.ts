import type { Db } from '../db/client.js';
import type { CardDetails } from '../generated/prisma/client.js';

/**
 * The purchases whose charge has started on this card and is not settled: PENDING or PROCESSING, with
 * a PaymentIntent recorded, or a Purchase.created delivery being sent now (leased) or sent before
 * (charge-customer may have made a PaymentIntent and lost its write-back). Only for the card
 * charge-customer picks: ACTIVE, saved at Stripe, and the user's newest such card (highest id, the
 * last in `user { cardDetails }`). Deleting a card stops every charge not yet started (their payload
 * no longer lists it); these may still complete on it. Read in the caller's transaction, so a
 * deleted card's answer is as of its delete.
 */
export async function chargesInFlight(
  db: Db,
  card: Pick<CardDetails, 'id' | 'userId' | 'status' | 'stripePaymentMethodId'>,
): Promise<string[]> {
  if (card.status !== 'ACTIVE' || !card.stripePaymentMethodId) return [];
  const rows = await db.$queryRawUnsafe<{ id: string }[]>(
    `select p.id from "Purchase" p
      where p."userId" = $1 and p.status::text in ('PENDING', 'PROCESSING')
        and not exists (select 1 from "CardDetails" c where c."userId" = $1 and c.id > $2
                          and c.status::text = 'ACTIVE' and c."stripePaymentMethodId" is not null)
        and (p."stripePaymentIntentId" is not null
             or exists (select 1 from callback_delivery d
                         where d.node_id = p.id and d.trigger = 'Purchase.created'
                           and (d.leased_until > now() or (d.attempts > 0 and d.status::text <> 'DELIVERED'))))
      order by p.id`,
    card.userId,
    card.id,
  );
  return rows.map((row) => row.id);
}
