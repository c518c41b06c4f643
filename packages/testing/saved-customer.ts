import { randomUUID } from 'node:crypto';
import { purchasePayload } from './purchase-payload.js';
import type { Stripe } from '../../services/lib/stripe-client.js';

/** A Stripe customer with a card saved for off-session payments, as create-customer leaves it. */
export async function customerWithCard(
  stripe: Stripe,
  paymentMethod: string,
): Promise<{ stripeId: string; pm: string }> {
  const customer = await stripe.customers.create({ email: `${randomUUID()}@example.com` });
  return { stripeId: customer.id, pm: await saveCard(stripe, customer.id, paymentMethod) };
}

/** Another card of the customer, saved for off-session payments: its PaymentMethod id. */
export async function saveCard(stripe: Stripe, customerId: string, paymentMethod: string): Promise<string> {
  const setup = await stripe.setupIntents.create({
    customer: customerId,
    payment_method: paymentMethod,
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    usage: 'off_session',
  });
  return setup.payment_method as string;
}

/** The payload of chargePurchase in callbacks.yml: a new purchase of a user whose one card is `saved`. */
export const purchaseOf = (saved: { stripeId: string; pm: string }, amount = 2_000) => purchasePayload(saved, amount);
