import type { Purchase } from '../generated/prisma/client.js';
import type { PurchaseStatus } from '../generated/prisma/enums.js';

/**
 * What Stripe says happened to a purchase's payment, from charge-customer's write-back or from a
 * Stripe event. Every source goes through `nextPurchaseState`, so the money rules live in one place.
 */
export type PaymentFact =
  | {
      kind: 'requires_action';
      paymentIntentId?: string | null;
      clientSecret?: string | null;
      code?: string | null;
      message?: string | null;
    }
  | { kind: 'processing'; paymentIntentId?: string | null }
  | { kind: 'succeeded'; paymentIntentId?: string | null; chargeId?: string | null }
  | { kind: 'failed'; paymentIntentId?: string | null; code?: string | null; message?: string | null }
  /** `reportedAt`: the time of the Stripe event that reported it; none when Paygraph counted its own refunds. */
  | {
      kind: 'refunded';
      paymentIntentId?: string | null;
      chargeId?: string | null;
      amountRefunded: number;
      reportedAt?: Date;
    }
  /** A refund made at Stripe failed: its `amount` is no longer refunded; `stillRefunded` is what surely still is. */
  | { kind: 'refund_failed'; paymentIntentId?: string | null; amount: number; stillRefunded: number; reportedAt?: Date }
  | { kind: 'disputed'; paymentIntentId?: string | null; chargeId?: string | null; disputeStatus: string };

export type PurchaseChange = Pick<
  Purchase,
  | 'isPaid'
  | 'status'
  | 'stripeChargeId'
  | 'stripePaymentIntentId'
  | 'clientSecret'
  | 'amountRefunded'
  | 'refundFailureReportedAt'
  | 'disputeStatus'
  | 'failureCode'
  | 'failureMessage'
  | 'paidAt'
  | 'waitingFor'
>;

export type Transition =
  | { result: 'changed'; data: PurchaseChange }
  | { result: 'unchanged' }
  /** The fact contradicts the money already recorded (another charge, another PaymentIntent). */
  | { result: 'conflict'; reason: string };

// Stripe's dispute statuses that end a dispute; a late "still open" event never reopens one.
const CLOSED_DISPUTE = new Set(['won', 'lost', 'warning_closed', 'charge_refunded', 'prevented']);
// Not yet settled: an intermediate report may replace another, never a final one.
const UNSETTLED: PurchaseStatus[] = ['PENDING', 'PROCESSING', 'REQUIRES_ACTION'];

/** The status of a paid purchase follows from its refunds and its dispute. */
function paidStatus(amount: number, amountRefunded: number, disputeStatus: string | null): PurchaseStatus {
  if (disputeStatus && (disputeStatus === 'lost' || !CLOSED_DISPUTE.has(disputeStatus))) return 'DISPUTED';
  if (amountRefunded >= amount) return 'REFUNDED';
  return amountRefunded > 0 ? 'PARTIALLY_REFUNDED' : 'PAID';
}

/**
 * The next state of a purchase given one fact, whatever order the facts arrive in. State only moves
 * forward: a paid purchase stays paid (a refund or dispute implies the payment succeeded), a failure
 * never unpays, a refunded amount shrinks only by a refund Stripe reports failed, a closed dispute
 * never reopens.
 */
export function nextPurchaseState(previous: Purchase, fact: PaymentFact): Transition {
  const intentId = fact.paymentIntentId ?? null;
  if (intentId && previous.stripePaymentIntentId && intentId !== previous.stripePaymentIntentId) {
    return { result: 'conflict', reason: 'The purchase is already settled with another PaymentIntent' };
  }
  const next: PurchaseChange = {
    isPaid: previous.isPaid,
    status: previous.status,
    stripeChargeId: previous.stripeChargeId,
    stripePaymentIntentId: previous.stripePaymentIntentId ?? intentId,
    clientSecret: previous.clientSecret,
    amountRefunded: previous.amountRefunded,
    refundFailureReportedAt: previous.refundFailureReportedAt,
    disputeStatus: previous.disputeStatus,
    failureCode: previous.failureCode,
    failureMessage: previous.failureMessage,
    paidAt: previous.paidAt,
    waitingFor: previous.waitingFor,
  };
  const chargeId = 'chargeId' in fact ? (fact.chargeId ?? null) : null;
  if (fact.kind === 'refund_failed') {
    if (!previous.isPaid) return { result: 'unchanged' };
    // The money went back to the charge, so it can be refunded again; never below what surely was refunded.
    const floor = Math.min(previous.amountRefunded, fact.stillRefunded);
    next.amountRefunded = Math.max(floor, previous.amountRefunded - fact.amount);
    next.refundFailureReportedAt = latest(previous.refundFailureReportedAt, fact.reportedAt);
    next.status = paidStatus(previous.amount, next.amountRefunded, next.disputeStatus);
  } else if (fact.kind === 'succeeded' || fact.kind === 'refunded' || fact.kind === 'disputed') {
    if (chargeId && previous.stripeChargeId && chargeId !== previous.stripeChargeId) {
      return { result: 'conflict', reason: 'The purchase is already settled with another charge' };
    }
    Object.assign(next, {
      isPaid: true,
      stripeChargeId: previous.stripeChargeId ?? chargeId,
      clientSecret: null,
      failureCode: null,
      failureMessage: null,
    });
    next.paidAt = previous.paidAt ?? new Date();
    if (fact.kind === 'refunded' && !reportedBeforeFailure(previous, fact))
      next.amountRefunded = Math.min(previous.amount, Math.max(previous.amountRefunded, fact.amountRefunded));
    if (fact.kind === 'disputed' && !(previous.disputeStatus && CLOSED_DISPUTE.has(previous.disputeStatus)))
      next.disputeStatus = fact.disputeStatus;
    next.status = paidStatus(previous.amount, next.amountRefunded, next.disputeStatus);
  } else if (!previous.isPaid) {
    if (fact.kind === 'failed') {
      Object.assign(next, {
        status: 'FAILED',
        clientSecret: null,
        failureCode: fact.code ?? previous.failureCode,
        failureMessage: fact.message ?? previous.failureMessage,
      });
    } else if (UNSETTLED.includes(previous.status)) {
      next.status = fact.kind === 'processing' ? 'PROCESSING' : 'REQUIRES_ACTION';
      if (fact.kind === 'requires_action') {
        Object.assign(next, {
          clientSecret: fact.clientSecret ?? previous.clientSecret,
          failureCode: fact.code ?? null,
          failureMessage: fact.message ?? null,
        });
      }
    }
  }
  // What a purchase waits for is a reason it is still PENDING: it goes once the purchase moves on.
  if (next.status !== 'PENDING') next.waitingFor = null;
  const changed = (Object.keys(next) as (keyof PurchaseChange)[]).some((key) => !same(next[key], previous[key]));
  return changed ? { result: 'changed', data: next } : { result: 'unchanged' };
}

/**
 * Whether Stripe reported this refunded amount no later than a refund failure already applied: Stripe
 * delivers events in any order, and such a charge.refunded may still count the failed refund. Stripe's
 * times are whole seconds, so the same second counts as before: a refund made in that second outside
 * Paygraph is counted by the next charge.refunded, while counting a failed one would block refunding it again.
 */
function reportedBeforeFailure(previous: Purchase, fact: { reportedAt?: Date }): boolean {
  const failure = previous.refundFailureReportedAt;
  return !!(failure && fact.reportedAt && fact.reportedAt.getTime() <= failure.getTime());
}

const latest = (a: Date | null, b: Date | undefined): Date | null => (b && (!a || b > a) ? b : a);

const same = (a: unknown, b: unknown) =>
  a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;
