import type Stripe from 'stripe';
import type { EventRecorder } from '../callbacks/events.js';
import type { Db } from '../db/client.js';
import type { Prisma } from '../generated/prisma/client.js';
import { changeCard } from '../payments/card-state.js';
import { changeStripeId } from '../payments/customer-state.js';
import { nextPurchaseState, type PaymentFact } from '../payments/purchase-state.js';
import { lockedPurchase, lockPaymentIntent } from '../payments/locks.js';
import { changeRefund, refundMovesTo, type RefundChange } from '../payments/refund-state.js';
import { applyHeldEvents, holdEvent } from './held-events.js';

type Scope = { db: Db; events: EventRecorder };

/**
 * The event types applyStripeEvent acts on: what a Stripe webhook endpoint for Paygraph should enable
 * (npm start subscribes the local Stripe to these only); any other type is recorded and ignored.
 */
export const APPLIED_STRIPE_EVENTS = [
  'payment_intent.succeeded',
  'payment_intent.processing',
  'payment_intent.requires_action',
  'payment_intent.payment_failed',
  'charge.refunded',
  'refund.updated',
  'refund.failed',
  'charge.refund.updated',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
  'setup_intent.succeeded',
  'setup_intent.setup_failed',
  'payment_method.detached',
] as const;
export type Applied = 'applied' | 'unchanged' | 'ignored' | 'held' | 'other mode';

const createdAt = (event: Stripe.Event) => new Date(event.created * 1000);
const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : (value?.id ?? null));

/** What a Stripe event says about a purchase's payment, and how to find the purchase. */
function purchaseFact(event: Stripe.Event): { fact: PaymentFact; find: Prisma.PurchaseWhereInput[] } | null {
  const object = event.data.object as unknown as Record<string, unknown>;
  const purchaseId = (object.metadata as Record<string, string> | undefined)?.purchaseId;
  const byMetadata = purchaseId ? [{ id: purchaseId }] : [];
  if (event.type.startsWith('payment_intent.')) {
    const intent = event.data.object as Stripe.PaymentIntent;
    const find = [{ stripePaymentIntentId: intent.id }, ...byMetadata];
    const ids = { paymentIntentId: intent.id };
    switch (event.type) {
      case 'payment_intent.succeeded':
        return { fact: { kind: 'succeeded', ...ids, chargeId: idOf(intent.latest_charge) }, find };
      case 'payment_intent.processing':
        return { fact: { kind: 'processing', ...ids }, find };
      case 'payment_intent.requires_action':
        return { fact: { kind: 'requires_action', ...ids, clientSecret: intent.client_secret }, find };
      case 'payment_intent.payment_failed': {
        const error = intent.last_payment_error;
        const problem = { code: error?.code ?? 'payment_failed', message: error?.message ?? 'The payment failed' };
        // Off-session, the bank asked for 3-D Secure: the owner can still finish it with the client secret.
        if (error?.code === 'authentication_required') return { fact: { kind: 'requires_action', ...ids, clientSecret: intent.client_secret, ...problem }, find };
        return { fact: { kind: 'failed', ...ids, ...problem }, find };
      }
      default:
        return null;
    }
  }
  if (event.type === 'charge.refunded') {
    const charge = event.data.object as Stripe.Charge;
    const paymentIntentId = idOf(charge.payment_intent);
    const find = [...(paymentIntentId ? [{ stripePaymentIntentId: paymentIntentId }] : []), { stripeChargeId: charge.id }, ...byMetadata];
    return { fact: { kind: 'refunded', paymentIntentId, chargeId: charge.id, amountRefunded: charge.amount_refunded, reportedAt: createdAt(event) }, find };
  }
  if (event.type.startsWith('charge.dispute.')) {
    const dispute = event.data.object as Stripe.Dispute;
    const paymentIntentId = idOf(dispute.payment_intent);
    const chargeId = idOf(dispute.charge);
    const find = [...(paymentIntentId ? [{ stripePaymentIntentId: paymentIntentId }] : []), ...(chargeId ? [{ stripeChargeId: chargeId }] : [])];
    return { fact: { kind: 'disputed', paymentIntentId, chargeId, disputeStatus: dispute.status }, find };
  }
  return null;
}

// Stripe's refund events, each carrying the Refund: charge.refund.updated is the older one, still
// the one its test cards document, sent for some payment methods only.
const REFUND_EVENTS = new Set(['refund.updated', 'refund.failed', 'charge.refund.updated']);
// A pending or requires_action refund is still on its way: nothing to move.
const REFUND_STATUS: Record<string, RefundChange['status']> = { succeeded: 'SUCCEEDED', failed: 'FAILED', canceled: 'FAILED' };

/** What a Stripe event says about a refund Paygraph asked for, and how to find it. */
function refundChange(event: Stripe.Event): { change: RefundChange | null; find: Prisma.RefundWhereInput[]; paymentIntentId: string | null } | null {
  if (!REFUND_EVENTS.has(event.type)) return null;
  const refund = event.data.object as Stripe.Refund;
  const refundId = refund.metadata?.refundId;
  const find = [{ stripeRefundId: refund.id }, ...(refundId ? [{ id: refundId }] : [])];
  const status = REFUND_STATUS[refund.status ?? ''];
  const failed = status === 'FAILED' && { failureCode: refund.failure_reason ?? 'refund_failed', failureMessage: `Stripe reports the refund ${refund.status}` };
  const change = status ? { status, stripeRefundId: refund.id, ...failed, reportedAt: createdAt(event) } : null;
  return { change, find, paymentIntentId: idOf(refund.payment_intent) };
}

/**
 * Moves a refund on as Stripe reports it, only forward and once however many of its events arrive,
 * under the locks a payment event takes: the PaymentIntent's, then the purchase's.
 */
async function applyRefundChange(scope: Scope, event: Stripe.Event, { change, find, paymentIntentId }: NonNullable<ReturnType<typeof refundChange>>): Promise<Applied> {
  if (!change) return 'unchanged';
  if (paymentIntentId) await lockPaymentIntent(scope.db, paymentIntentId);
  const [found] = await scope.db.refund.findMany({ where: { OR: find }, select: { purchaseId: true }, take: 1 });
  // A refund made outside Paygraph (the Dashboard): charge.refunded counts its money.
  if (!found) return 'ignored';
  const purchase = await lockedPurchase(scope.db, found.purchaseId);
  if (!purchase) return 'ignored';
  if (purchase.livemode !== event.livemode) return 'other mode';
  const [previous] = await scope.db.refund.findMany({ where: { OR: find }, take: 1 });
  if (!previous || (previous.stripeRefundId && previous.stripeRefundId !== change.stripeRefundId)) return 'unchanged';
  if (!refundMovesTo(previous.status, change.status)) return 'unchanged';
  await changeRefund(scope, purchase, previous, change);
  return 'applied';
}

/** What a Stripe event says about a saved card, and how to find the card details. */
function cardChange(
  event: Stripe.Event,
): { data: Prisma.CardDetailsUpdateInput; find: Prisma.CardDetailsWhereInput[]; from: string[]; customerId?: string | null } | null {
  const WAITING = ['PENDING', 'REQUIRES_ACTION'];
  if (event.type === 'setup_intent.succeeded' || event.type === 'setup_intent.setup_failed') {
    const intent = event.data.object as Stripe.SetupIntent;
    const cardDetailsId = intent.metadata?.cardDetailsId;
    const find = [{ stripeSetupIntentId: intent.id }, ...(cardDetailsId ? [{ id: cardDetailsId }] : [])];
    if (event.type === 'setup_intent.succeeded') {
      const paymentMethodId = idOf(intent.payment_method);
      const data = { status: 'ACTIVE', stripeSetupIntentId: intent.id, setupClientSecret: null, failureCode: null, failureMessage: null, ...(paymentMethodId && { stripePaymentMethodId: paymentMethodId }) } as const;
      return { data, find, from: WAITING, customerId: idOf(intent.customer) };
    }
    const error = intent.last_setup_error;
    return { data: { status: 'REJECTED', stripeSetupIntentId: intent.id, setupClientSecret: null, failureCode: error?.code ?? 'setup_failed', failureMessage: error?.message ?? 'The card could not be saved' }, find, from: WAITING };
  }
  if (event.type === 'payment_method.detached') {
    const method = event.data.object as Stripe.PaymentMethod;
    return { data: { status: 'DETACHED', setupClientSecret: null }, find: [{ stripePaymentMethodId: method.id }], from: ['PENDING', 'REQUIRES_ACTION', 'ACTIVE', 'REJECTED'] };
  }
  return null;
}

/**
 * Applies one verified Stripe event inside the transaction that records it. Purchases, refunds and cards
 * change only forward and only from an event of their own mode; the changes fire callbacks like any
 * other write. Event types Paygraph does not act on are recorded and ignored.
 */
export async function applyStripeEvent(scope: Scope, event: Stripe.Event): Promise<Applied> {
  const payment = purchaseFact(event);
  if (payment) {
    const paymentIntentId = payment.fact.paymentIntentId ?? null;
    if (paymentIntentId) await lockPaymentIntent(scope.db, paymentIntentId);
    const [found] = await scope.db.purchase.findMany({ where: { OR: payment.find }, select: { id: true }, take: 1 });
    if (!found) {
      // Perhaps before charge-customer's write-back names the PaymentIntent (a dispute opened at once): kept for it.
      if (!paymentIntentId) return 'ignored';
      await holdEvent(scope.db, event.id, paymentIntentId);
      return 'held';
    }
    // The event and charge-customer's write-back of the same purchase apply one after the other.
    const previous = await lockedPurchase(scope.db, found.id);
    if (!previous) return 'ignored';
    if (previous.livemode !== event.livemode) return 'other mode';
    const transition = nextPurchaseState(previous, payment.fact);
    if (transition.result !== 'changed') return 'unchanged';
    const purchase = await scope.db.purchase.update({ where: { id: previous.id }, data: transition.data });
    await scope.events.record(scope.db, { model: 'Purchase', operation: 'updated', node: purchase, previous });
    if (purchase.stripePaymentIntentId && !previous.stripePaymentIntentId) await applyHeldEvents(scope, purchase.stripePaymentIntentId, applyStripeEvent);
    return 'applied';
  }
  const refund = refundChange(event);
  if (refund) return applyRefundChange(scope, event, refund);
  const card = cardChange(event);
  if (card) {
    const [previous] = await scope.db.cardDetails.findMany({ where: { OR: card.find }, take: 1 });
    if (!previous) return 'ignored';
    if (previous.livemode !== event.livemode) return 'other mode';
    if (!card.from.includes(previous.status)) return 'unchanged';
    // create-customer writes the owner's stripeId before the card, so an ACTIVE card's owner has a
    // customer; this event can come before both, and then records the first customer too. The card
    // wakes the waiting charges next: woken here, they would be locked before the card, the other
    // way round from create-customer's card write-back, and the two deadlocked (bench:e2e).
    const { customerId } = card;
    if (customerId) await changeStripeId(scope, previous.userId, (current) => current ?? customerId, { wakeCharges: false });
    await changeCard(scope, previous, card.data);
    return 'applied';
  }
  return 'ignored';
}
