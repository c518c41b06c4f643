import { applyCardEvent, cardEvent } from './card-events.js';
import type { StripeEventEnvelope } from './event-shape.js';
import { applyHeldEvents } from './held-events.js';
import { done, type Outcome, type Scope } from './outcome.js';
import { applyPaymentEvent, paymentEvent } from './payment-events.js';
import { applyRefundEvent, refundEvent } from './refund-events.js';

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
  'setup_intent.canceled',
  'payment_method.detached',
] as const;

/**
 * Applies one verified, well-formed Stripe event inside the transaction that records it. Purchases,
 * refunds and cards change only forward, only from their own payment (src/stripe-webhook/own-payment.ts)
 * and only from an event of their own mode; the changes fire callbacks like any other write. Event
 * types Paygraph does not act on are recorded and ignored.
 */
export async function applyStripeEvent(scope: Scope, event: StripeEventEnvelope): Promise<Outcome> {
  const payment = paymentEvent(event);
  if (payment) {
    const outcome = await applyPaymentEvent(scope, event, payment);
    // Stripe's events about this PaymentIntent that came before the purchase recorded it apply now.
    if (outcome.outcome === 'applied' && outcome.recordedPaymentIntentId)
      await applyHeldEvents(scope, outcome.recordedPaymentIntentId, applyStripeEvent);
    return outcome;
  }
  const refund = refundEvent(event);
  if (refund) return applyRefundEvent(scope, event, refund);
  const card = cardEvent(event);
  if (card) return applyCardEvent(scope, event, card);
  return done('ignored');
}
