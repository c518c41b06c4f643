import { describe, expect, it } from 'vitest';
import { APPLIED_STRIPE_EVENTS } from './apply-event.js';
import { cardEvent } from './card-events.js';
import { parseEvent } from './event-shape.js';
import { paymentEvent } from './payment-events.js';
import { refundEvent } from './refund-events.js';

const intent = (fields: Record<string, unknown>) => ({
  id: 'pi_1',
  object: 'payment_intent',
  amount: 5_000,
  currency: 'usd',
  customer: 'cus_owner',
  capture_method: 'manual',
  latest_charge: 'ch_1',
  metadata: { purchaseId: 'purchase_1' },
  ...fields,
});
const charge = { id: 'ch_1', object: 'charge', amount: 5_000, amount_refunded: 0, currency: 'usd', captured: true };

// Paygraph never asks for manual capture; what Stripe sends about one (api/payment_intents) changes nothing here.
describe('stripe-webhook: the events of a manual capture are recorded and ignored', () => {
  it.each([
    ['payment_intent.amount_capturable_updated', intent({ status: 'requires_capture', amount_capturable: 5_000 })],
    ['payment_intent.canceled', intent({ status: 'canceled', cancellation_reason: 'requested_by_customer' })],
    ['charge.captured', charge],
  ])('%s: well-formed, not subscribed to, and acted on by nothing', (type, object) => {
    const parsed = parseEvent({ id: 'evt_1', type, created: 1_700_000_000, livemode: false, data: { object } });
    expect(parsed).toHaveProperty('event');
    const { event } = parsed as Extract<typeof parsed, { event: unknown }>;
    expect(APPLIED_STRIPE_EVENTS).not.toContain(type);
    expect([paymentEvent(event), refundEvent(event), cardEvent(event)]).toEqual([null, null, null]);
  });
});
