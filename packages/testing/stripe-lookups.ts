import type { Stripe } from '../../services/lib/stripe-client.js';
import { eventually } from './eventually.js';

/**
 * The local Stripe's search lag in every test fixture that starts it: Stripe's search is not
 * read-after-write (docs/search#data-freshness), so the services' "not found yet" paths run in tests.
 */
export const TEST_SEARCH_LAG_MS = 300;

/**
 * The PaymentIntents the Stripe side holds for a purchase (the purchase id each carries in its metadata),
 * newest first. Listed, not searched: a test asserts what exists now, and search lags behind writes.
 */
export async function paymentIntentsFor(stripe: Stripe, purchaseId: string): Promise<Stripe.PaymentIntent[]> {
  const found: Stripe.PaymentIntent[] = [];
  for await (const intent of stripe.paymentIntents.list({ limit: 100 }))
    if (intent.metadata?.purchaseId === purchaseId) found.push(intent);
  return found;
}

/** The Stripe customers made for a Paygraph user (`metadata.userId`), newest first; listed, as above. */
export async function customersOfUser(stripe: Stripe, userId: string): Promise<Stripe.Customer[]> {
  const found: Stripe.Customer[] = [];
  for await (const customer of stripe.customers.list({ limit: 100 }))
    if (customer.metadata?.userId === userId) found.push(customer);
  return found;
}

/**
 * Waits until Stripe's search shows every PaymentIntent of a purchase, or every customer of a user, that
 * Stripe holds, as it does once its lag has passed: for a test whose objects stand for ones made long before.
 */
export async function untilSearchShows(stripe: Stripe, of: { purchaseId: string } | { userId: string }): Promise<void> {
  const [held, search] =
    'purchaseId' in of
      ? [
          (await paymentIntentsFor(stripe, of.purchaseId)).length,
          () => stripe.paymentIntents.search({ query: `metadata['purchaseId']:'${of.purchaseId}'`, limit: 100 }),
        ]
      : [
          (await customersOfUser(stripe, of.userId)).length,
          () => stripe.customers.search({ query: `metadata['userId']:'${of.userId}'`, limit: 100 }),
        ];
  await eventually(
    async () => (await search()).data.length,
    (shown) => shown >= held,
    {
      what: `search to show the ${held} objects of ${JSON.stringify(of)}`,
    },
  );
}
