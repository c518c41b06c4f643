import type { Stripe } from '../lib/stripe-client.js';

/**
 * Makes a saved card the customer's `invoice_settings.default_payment_method` when it is the user's
 * newest usable card (Paygraph lists a user's cards oldest first, and charges the newest ACTIVE one):
 * a card whose 3-D Secure is finished after a newer card was saved does not take the default from it.
 */
export async function makeDefaultIfNewest(
  stripe: Stripe,
  customerId: string,
  card: { id: string; user: { cardDetails: { id: string; status: string }[] } },
  paymentMethodId: string,
): Promise<boolean> {
  const cards = card.user.cardDetails;
  const index = cards.findIndex((entry) => entry.id === card.id);
  // Not listed (past the first page): newer than every card that is.
  const newerActive = index >= 0 && cards.slice(index + 1).some((entry) => entry.status === 'ACTIVE');
  if (newerActive) return false;
  // No idempotency key of our own: setting a value twice is harmless, and a replayed answer would hide a newer default.
  await stripe.customers.update(customerId, { invoice_settings: { default_payment_method: paymentMethodId } });
  return true;
}
