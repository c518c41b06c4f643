import type { Tx } from '../db/client.js';
import { wakeDeliveries } from '../callbacks/store/new-deliveries.js';

/**
 * The user's unpaid purchases whose charge callback waits (charge-customer answered 409: no customer
 * or no saved card yet) are retried at once, in the transaction that made the card usable. Why not
 * per-user ordering of the two callbacks: the wait then rests on charge-customer's own answer, so a
 * purchase made with no card at all still fails fast, and nothing ties unrelated callbacks together.
 */
export async function wakeWaitingCharges(tx: Tx, userId: string): Promise<void> {
  const purchases = await tx.purchase.findMany({ where: { userId, status: 'PENDING' }, select: { id: true } });
  if (purchases.length > 0)
    await wakeDeliveries(
      tx,
      'Purchase.created',
      purchases.map((purchase) => purchase.id),
    );
}
