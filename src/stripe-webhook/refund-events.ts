import type { Prisma } from '../generated/prisma/client.js';
import { lockedPurchase, lockPaymentIntent } from '../payments/locks.js';
import { changeRefund, refundMovesTo, type RefundChange } from '../payments/refund-state.js';
import { refundShape, type StripeEventEnvelope } from './event-shape.js';
import { done, notApplied, type Outcome, type Scope } from './outcome.js';
import { modeMismatch, refundMismatch } from './own-payment.js';

// Stripe's refund events, each carrying the Refund: charge.refund.updated is the older one, still
// the one its test cards document, sent for some payment methods only.
const REFUND_EVENTS = new Set(['refund.updated', 'refund.failed', 'charge.refund.updated']);
// A pending or requires_action refund is still on its way: nothing to move.
const REFUND_STATUS: Record<string, RefundChange['status']> = {
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  canceled: 'FAILED',
};

interface RefundEvent {
  refund: ReturnType<typeof refundShape.parse>;
  change: RefundChange | null;
  find: Prisma.RefundWhereInput[];
}

/** What a Stripe event says about a refund Paygraph asked for, and how to find it. */
export function refundEvent(event: StripeEventEnvelope): RefundEvent | null {
  if (!REFUND_EVENTS.has(event.type)) return null;
  const refund = refundShape.parse(event.data.object);
  const refundId = refund.metadata.refundId;
  const find = [{ stripeRefundId: refund.id }, ...(refundId ? [{ id: refundId }] : [])];
  const status = REFUND_STATUS[refund.status ?? ''];
  const failed = status === 'FAILED' && {
    failureCode: refund.failure_reason ?? 'refund_failed',
    failureMessage: `Stripe reports the refund ${refund.status}`,
  };
  const change = status
    ? { status, stripeRefundId: refund.id, ...failed, reportedAt: new Date(event.created * 1000) }
    : null;
  return { refund, change, find };
}

/**
 * Moves a refund on as Stripe reports it, only forward and once however many of its events arrive,
 * under the locks a payment event takes: the PaymentIntent's, then the purchase's. The refund must be
 * the one asked for, of the purchase's own payment: `metadata.refundId` alone proves nothing.
 */
export async function applyRefundEvent(
  scope: Scope,
  event: StripeEventEnvelope,
  { refund, change, find }: RefundEvent,
): Promise<Outcome> {
  if (!change) return done('unchanged');
  if (refund.payment_intent) await lockPaymentIntent(scope.db, refund.payment_intent);
  const [found] = await scope.db.refund.findMany({ where: { OR: find }, select: { purchaseId: true }, take: 1 });
  // A refund made outside Paygraph (the Dashboard): charge.refunded counts its money.
  if (!found) return done('ignored');
  const purchase = await lockedPurchase(scope.db, found.purchaseId);
  if (!purchase) return done('ignored');
  const [previous] = await scope.db.refund.findMany({ where: { OR: find }, take: 1 });
  if (!previous) return done('ignored');
  const mismatch = modeMismatch(purchase, event.livemode) ?? refundMismatch(purchase, previous, refund);
  if (mismatch) return notApplied(mismatch, purchase.id);
  if (!refundMovesTo(previous.status, change.status)) return done('unchanged');
  await changeRefund(scope, purchase, previous, change);
  return done('applied');
}
