import Stripe from 'stripe';
import { serviceBudget, type ServiceBudget } from '../../packages/base/service-budget.js';

/** callbacks.yml's default `timeout`, the budget a service has when it is not told otherwise. */
export const DEFAULT_CALLBACK_TIMEOUT_MS = 15_000;

/**
 * The Stripe SDK, created once per service, pinned to the API version this SDK release was built
 * for so a Stripe account upgrade cannot change response shapes under us. `apiUrl`
 * (STRIPE_API_URL) points it at any Stripe-compatible server, such as the local stand-in.
 */
export function createStripe(
  secretKey: string,
  apiUrl?: string,
  budget: ServiceBudget = serviceBudget(DEFAULT_CALLBACK_TIMEOUT_MS),
): Stripe {
  const server = apiUrl ? new URL(apiUrl) : null;
  return new Stripe(secretKey, {
    apiVersion: Stripe.API_VERSION,
    appInfo: { name: 'paygraph' },
    // One quick retry (the SDK adds an idempotency key to it); anything longer is the callbacks
    // engine's job, with its backoff. Both fit inside the callback's timeout (src/callbacks/timing.ts).
    maxNetworkRetries: budget.stripeRetries,
    timeout: budget.stripeTimeoutMs,
    ...(server && {
      host: server.hostname,
      port: Number(server.port || (server.protocol === 'https:' ? 443 : 80)),
      protocol: server.protocol === 'http:' ? ('http' as const) : ('https' as const),
    }),
  });
}

/**
 * The SDK takes any JSON without an `error` field as success, whatever the status: a Stripe-compatible
 * server's crash page would pass for a customer with no id. Stripe never does this; a stand-in can.
 */
export function expectStripeObject<T extends { id: string; object: string }>(value: T, ...objects: T['object'][]): T {
  if (typeof value?.id !== 'string' || !objects.includes(value.object)) {
    throw new Stripe.errors.StripeAPIError({
      message: `Stripe answered without a ${objects.join(' or ')}`,
      type: 'api_error',
    });
  }
  return value;
}

export { Stripe };
