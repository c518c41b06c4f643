import { Stripe } from './stripe-client.js';

/**
 * Which parameter of a request Stripe answered it does not know (`resource_missing`, "No such
 * customer: 'cus_…'"; Stripe's "Error codes" page): final, since asking again gets the same answer.
 */
export function missingAtStripe(error: unknown): string | null {
  const missing = error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing';
  return missing ? (error.param ?? null) : null;
}

/** Whether Stripe still knows the customer: a deleted one answers `deleted: true`, an unknown one `resource_missing`. */
export async function customerExists(stripe: Stripe, customerId: string): Promise<boolean> {
  try {
    const customer = await stripe.customers.retrieve(customerId);
    return !customer.deleted;
  } catch (error) {
    if (missingAtStripe(error) !== null) return false;
    throw error;
  }
}
