import type { Db } from '../db/client.js';
import { sendBehind } from '../db/write-behind.js';
import type { Purchase } from '../generated/prisma/client.js';

// Locks whose answer nobody reads: in a mutation or a Stripe event's transaction they ride with the
// read that follows (src/db/write-behind.ts), which PostgreSQL runs only once the lock is held.
const LOCK_PAYMENT_INTENT = 'select 1 from pg_advisory_xact_lock(hashtextextended($1, 0))';
const LOCK_PURCHASE = 'select 1 from "Purchase" where id = $1 for update';

/**
 * One lock per PaymentIntent for the transaction: an event about it that finds no purchase, and a
 * purchase recording it, take turns, so an event is either applied or held where the purchase sees it.
 * Taken before the purchase's own lock, by everyone who takes both.
 */
export async function lockPaymentIntent(db: Db, paymentIntentId: string): Promise<void> {
  await sendBehind(db, LOCK_PAYMENT_INTENT, [`stripe-payment-intent:${paymentIntentId}`]);
}

/**
 * The purchase, read once its row is locked for this transaction: settlements, refunds and Stripe's
 * events of one purchase are applied one after the other. Null when there is no such purchase.
 */
export async function lockedPurchase(db: Db, id: string): Promise<Purchase | null> {
  await sendBehind(db, LOCK_PURCHASE, [id]);
  return db.purchase.findUnique({ where: { id } });
}
