import type { Prisma, Purchase, Refund } from '../generated/prisma/client.js';
import type { RefundStatus } from '../generated/prisma/enums.js';
import type { Context } from '../schema/context.js';
import { nextPurchaseState, type PaymentFact } from './purchase-state.js';

type Scope = Pick<Context, 'db' | 'events'>;

export interface RefundChange {
  status: RefundStatus;
  stripeRefundId?: string | null;
  failureCode?: string | null;
  failureMessage?: string | null;
  /** The time of the Stripe event that reported the change, if one did. */
  reportedAt?: Date;
}

// Stripe's refund lifecycle: pending, then succeeded or failed; a succeeded refund can still fail
// later (the card's bank could not take the money back). Nothing leaves FAILED.
const FORWARD: Record<RefundStatus, readonly RefundStatus[]> = {
  PENDING: ['SUCCEEDED', 'FAILED'],
  SUCCEEDED: ['FAILED'],
  FAILED: [],
};

/** Whether Stripe's later word on a refund moves it on: never back, never twice. */
export const refundMovesTo = (from: RefundStatus, to: RefundStatus): boolean => FORWARD[from].includes(to);

/**
 * Writes a refund's new state and what it means for its purchase, which the caller has locked
 * (src/payments/locks.ts), so refunds and events of one purchase are counted one after the other.
 */
export async function changeRefund(
  scope: Scope,
  purchase: Purchase,
  previous: Refund,
  change: RefundChange,
  query: { include?: Prisma.RefundInclude; select?: Prisma.RefundSelect } = {},
): Promise<Refund> {
  const refund = await scope.db.refund.update({
    ...query,
    where: { id: previous.id },
    data: {
      status: change.status,
      stripeRefundId: change.stripeRefundId ?? previous.stripeRefundId,
      failureCode: change.failureCode ?? null,
      failureMessage: change.failureMessage ?? null,
    },
  });
  await scope.events.record(scope.db, { model: 'Refund', operation: 'updated', node: refund, previous });
  const fact = await purchaseFactOf(scope, purchase.id, previous, change);
  if (fact) {
    const transition = nextPurchaseState(purchase, fact);
    if (transition.result === 'changed') {
      const updated = await scope.db.purchase.update({ where: { id: purchase.id }, data: transition.data });
      await scope.events.record(scope.db, {
        model: 'Purchase',
        operation: 'updated',
        node: updated,
        previous: purchase,
      });
    }
  }
  return refund;
}

async function purchaseFactOf(
  scope: Scope,
  purchaseId: string,
  previous: Refund,
  change: RefundChange,
): Promise<PaymentFact | null> {
  if (change.status === previous.status || change.status === 'PENDING') return null;
  const succeeded = await scope.db.refund.aggregate({
    where: { purchaseId, status: 'SUCCEEDED' },
    _sum: { amount: true },
  });
  const stillRefunded = succeeded._sum.amount ?? 0;
  // Also without webhooks (real test mode without `stripe listen`), the purchase shows what was refunded.
  if (change.status === 'SUCCEEDED') return { kind: 'refunded', amountRefunded: stillRefunded };
  // Only a refund made at Stripe was counted in its charge's amount_refunded; one Stripe refused never was.
  const madeAtStripe = change.stripeRefundId ?? previous.stripeRefundId;
  return madeAtStripe
    ? { kind: 'refund_failed', amount: previous.amount, stillRefunded, reportedAt: change.reportedAt }
    : null;
}
