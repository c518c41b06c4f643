/// <reference lib="dom" />
/** What Stripe.js throws for a mistake in the page's code (not the cardholder's): a wrong key, selector or call. */
export class IntegrationError extends Error {
  override name = 'IntegrationError';
}
