import { randomUUID } from 'node:crypto';
import type { Stripe } from '../../services/lib/stripe-client.js';

/** A Stripe customer with a card saved for off-session payments, as create-customer leaves it. */
export async function customerWithCard(
  stripe: Stripe,
  paymentMethod: string,
): Promise<{ stripeId: string; pm: string }> {
  const customer = await stripe.customers.create({ email: `${randomUUID()}@example.com` });
  const setup = await stripe.setupIntents.create({
    customer: customer.id,
    payment_method: paymentMethod,
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    usage: 'off_session',
  });
  return { stripeId: customer.id, pm: setup.payment_method as string };
}
