import type { z } from 'zod';
import type { Db } from '../db/client.js';
import type { Prisma, Purchase } from '../generated/prisma/client.js';
import { lockedPurchase, lockPaymentIntent } from '../payments/locks.js';
import { nextPurchaseState, type PaymentFact } from '../payments/purchase-state.js';
import { chargeShape, disputeShape, paymentIntentShape, type StripeEventEnvelope } from './event-shape.js';
import { holdEvent } from './held-events.js';
import { done, notApplied, type Outcome, type Scope } from './outcome.js';
import { chargeMismatch, disputeMismatch, modeMismatch, paymentIntentMismatch } from './own-payment.js';

/** What a Stripe event says about a purchase's payment, how to find the purchase, and how to tell it is the purchase's own. */
interface PaymentEvent {
  fact: PaymentFact;
  /** The ids the purchase records (its PaymentIntent, its charge): what names it for certain. */
  recorded: Prisma.PurchaseWhereInput[];
  /** A PaymentIntent's `metadata.purchaseId`: a candidate only, until its money matches the purchase. */
  candidateId: string | null;
  mismatch(purchase: Purchase, ownerCustomerId: string | null): string | null;
}

const createdAt = (event: StripeEventEnvelope) => new Date(event.created * 1000);

export function paymentEvent(event: StripeEventEnvelope): PaymentEvent | null {
  if (event.type.startsWith('payment_intent.')) return intentEvent(event);
  if (event.type === 'charge.refunded') return refundedEvent(event);
  if (event.type.startsWith('charge.dispute.')) return disputeEvent(event);
  return null;
}

function intentEvent(event: StripeEventEnvelope): PaymentEvent | null {
  const intent = paymentIntentShape.parse(event.data.object);
  const fact = intentFact(event.type, intent);
  if (!fact) return null;
  return {
    fact,
    recorded: [{ stripePaymentIntentId: intent.id }],
    candidateId: intent.metadata.purchaseId ?? null,
    mismatch: (purchase, owner) =>
      paymentIntentMismatch(purchase, owner, intent, event.type === 'payment_intent.succeeded'),
  };
}

function intentFact(type: string, intent: z.infer<typeof paymentIntentShape>): PaymentFact | null {
  const ids = { paymentIntentId: intent.id };
  switch (type) {
    case 'payment_intent.succeeded':
      return { kind: 'succeeded', ...ids, chargeId: intent.latest_charge };
    case 'payment_intent.processing':
      return { kind: 'processing', ...ids };
    case 'payment_intent.requires_action':
      return { kind: 'requires_action', ...ids, clientSecret: intent.client_secret };
    case 'payment_intent.payment_failed': {
      const error = intent.last_payment_error;
      const problem = { code: error?.code ?? 'payment_failed', message: error?.message ?? 'The payment failed' };
      // Off-session, the bank asked for 3-D Secure: the owner can still finish it with the client secret.
      if (error?.code === 'authentication_required')
        return { kind: 'requires_action', ...ids, clientSecret: intent.client_secret, ...problem };
      return { kind: 'failed', ...ids, ...problem };
    }
    default:
      return null;
  }
}

// Charges and disputes reach a purchase only through the ids it recorded, never through metadata.
function refundedEvent(event: StripeEventEnvelope): PaymentEvent {
  const charge = chargeShape.parse(event.data.object);
  const paymentIntentId = charge.payment_intent;
  return {
    fact: {
      kind: 'refunded',
      paymentIntentId,
      chargeId: charge.id,
      amountRefunded: charge.amount_refunded,
      reportedAt: createdAt(event),
    },
    recorded: recordedIds(paymentIntentId, charge.id),
    candidateId: null,
    mismatch: (purchase) => chargeMismatch(purchase, charge),
  };
}

function disputeEvent(event: StripeEventEnvelope): PaymentEvent {
  const dispute = disputeShape.parse(event.data.object);
  const { payment_intent: paymentIntentId, charge: chargeId } = dispute;
  return {
    fact: { kind: 'disputed', paymentIntentId, chargeId, disputeStatus: dispute.status },
    recorded: recordedIds(paymentIntentId, chargeId),
    candidateId: null,
    mismatch: (purchase) => disputeMismatch(purchase, dispute),
  };
}

const recordedIds = (paymentIntentId: string | null, chargeId: string | null): Prisma.PurchaseWhereInput[] => [
  ...(paymentIntentId ? [{ stripePaymentIntentId: paymentIntentId }] : []),
  ...(chargeId ? [{ stripeChargeId: chargeId }] : []),
];

/**
 * Applies a payment event to the purchase it is the payment of, under the PaymentIntent's lock and
 * then the purchase's, in the order charge-customer's write-back takes them. An event about a
 * PaymentIntent no purchase has recorded yet, and that names none, is held for the write-back.
 */
export async function applyPaymentEvent(
  scope: Scope,
  event: StripeEventEnvelope,
  payment: PaymentEvent,
): Promise<Outcome> {
  const paymentIntentId = payment.fact.paymentIntentId ?? null;
  if (paymentIntentId) await lockPaymentIntent(scope.db, paymentIntentId);
  const found = await findPurchase(scope.db, payment);
  if (!found) {
    // Perhaps before charge-customer's write-back names the PaymentIntent (a dispute opened at once): kept for it.
    if (!paymentIntentId) return done('ignored');
    await holdEvent(scope.db, event.id, paymentIntentId);
    return done('held');
  }
  const previous = await lockedPurchase(scope.db, found.id);
  if (!previous) return done('ignored');
  const owner = previous.stripePaymentIntentId ? null : await ownerCustomerId(scope.db, previous.userId);
  const mismatch = modeMismatch(previous, event.livemode) ?? payment.mismatch(previous, owner);
  if (mismatch) return notApplied(mismatch, previous.id);
  const transition = nextPurchaseState(previous, payment.fact);
  if (transition.result === 'conflict') return notApplied(transition.reason, previous.id);
  if (transition.result !== 'changed') return done('unchanged');
  const purchase = await scope.db.purchase.update({ where: { id: previous.id }, data: transition.data });
  await scope.events.record(scope.db, { model: 'Purchase', operation: 'updated', node: purchase, previous });
  const recorded =
    purchase.stripePaymentIntentId && !previous.stripePaymentIntentId ? purchase.stripePaymentIntentId : undefined;
  return { outcome: 'applied', ...(recorded && { recordedPaymentIntentId: recorded }) };
}

/** By the ids it recorded first; only then the purchase metadata names, which the checks must still accept. */
async function findPurchase(db: Db, payment: PaymentEvent): Promise<{ id: string } | null> {
  const [recorded] = await db.purchase.findMany({ where: { OR: payment.recorded }, select: { id: true }, take: 1 });
  if (recorded || !payment.candidateId) return recorded ?? null;
  return db.purchase.findUnique({ where: { id: payment.candidateId }, select: { id: true } });
}

async function ownerCustomerId(db: Db, userId: string): Promise<string | null> {
  return (await db.user.findUnique({ where: { id: userId }, select: { stripeId: true } }))?.stripeId ?? null;
}
