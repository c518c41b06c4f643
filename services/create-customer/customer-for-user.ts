import { expectStripeObject, type Stripe } from '../lib/stripe-client.js';

/**
 * The user's one Stripe customer, ever: found by `metadata.userId` when Stripe has one, else
 * created with an idempotency key of the user alone, so concurrent first cards make one customer
 * (search lags a few seconds behind writes at Stripe; the key covers that gap, search covers the
 * key's 24 hours).
 */
export async function customerForUser(
  stripe: Stripe,
  user: { id: string; email: string; name: string },
  /** A customer Stripe no longer knows: a new one replaces it (its own key, as the old key would give the lost one back). */
  lost?: string,
): Promise<string> {
  const found = await existingCustomerOf(stripe, user.id);
  if (found && found !== lost) return found;
  const customer = await stripe.customers.create(
    { email: user.email, name: user.name, metadata: { userId: user.id } },
    { idempotencyKey: lost ? `customer:${user.id}:replacing:${lost}` : `customer:${user.id}` },
  );
  return expectStripeObject(customer, 'customer').id;
}

/** The user's customer when Stripe's search already shows one (the oldest, should there be several). */
export async function existingCustomerOf(stripe: Stripe, userId: string): Promise<string | null> {
  const quoted = userId.replace(/[\\']/g, (character) => `\\${character}`);
  const found = await stripe.customers.search({ query: `metadata['userId']:'${quoted}'`, limit: 10 });
  return found.data.sort((a, b) => a.created - b.created)[0]?.id ?? null;
}
