import Stripe from 'stripe';

/**
 * The Stripe SDK, created once per service with its pinned API version. STRIPE_API_URL points it at
 * any Stripe-compatible server (the local stand-in that `npm start` runs when there is no key).
 */
export function createStripe(secretKey: string, apiUrl?: string): Stripe {
  const server = apiUrl ? new URL(apiUrl) : null;
  return new Stripe(secretKey, {
    appInfo: { name: 'paygraph', url: 'https://github.com/paygraph' },
    // One quick retry; anything longer is the callbacks engine's job, with its backoff.
    maxNetworkRetries: 1,
    timeout: 10_000,
    ...(server
      ? { host: server.hostname, port: Number(server.port || (server.protocol === 'https:' ? 443 : 80)), protocol: server.protocol.replace(':', '') as 'http' | 'https' }
      : {}),
  });
}

/** Errors that say the card itself is no good: final, never retried. */
export function isCardProblem(error: unknown): error is Stripe.errors.StripeError {
  if (!(error instanceof Stripe.errors.StripeError)) return false;
  if (error.type === 'StripeCardError') return true;
  // A token that does not exist or was already used is as final as a declined card.
  return error.type === 'StripeInvalidRequestError' && ['resource_missing', 'token_already_used'].includes(error.code ?? '');
}

export type { Stripe };
