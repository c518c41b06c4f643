/** The time a service has for each step of answering one callback. */
export interface ServiceBudget {
  /** One Stripe request; the SDK sends it at most `stripeRetries + 1` times. */
  stripeTimeoutMs: number;
  stripeRetries: number;
  /** The longest pause the Stripe SDK makes before a retry (its maxNetworkRetryDelay). */
  stripeRetryDelayMs: number;
  /** The write-back to Paygraph's API. */
  writeBackTimeoutMs: number;
  /** Left for verifying, answering and the network between the worker and the service. */
  marginMs: number;
}

export const STRIPE_RETRIES = 1;
// stripe-node waits its initial network retry delay (0.5 s) before a first retry, and reads no Retry-After.
export const STRIPE_MAX_RETRY_DELAY_MS = 500;

/**
 * Splits a callback's timeout between the service's steps so that the worst case (a Stripe request
 * timing out, its retry after the longest pause, then a write-back timing out) still ends before the
 * worker gives up on the callback: otherwise a charge could land after the attempt counted as failed.
 * A tenth of the timeout (at least 200 ms) is kept as margin; of the rest, Stripe's tries take two
 * thirds and the write-back one third.
 */
export function serviceBudget(callbackTimeoutMs: number): ServiceBudget {
  const marginMs = Math.max(200, Math.floor(callbackTimeoutMs / 10));
  const available = callbackTimeoutMs - marginMs - STRIPE_MAX_RETRY_DELAY_MS;
  if (available <= 0)
    throw new Error(`a callback timeout of ${callbackTimeoutMs} ms leaves a service no time to call Stripe`);
  const stripeTimeoutMs = Math.floor((available * 2) / 3 / (STRIPE_RETRIES + 1));
  const writeBackTimeoutMs = Math.floor(available / 3);
  return {
    stripeTimeoutMs,
    stripeRetries: STRIPE_RETRIES,
    stripeRetryDelayMs: STRIPE_MAX_RETRY_DELAY_MS,
    writeBackTimeoutMs,
    marginMs,
  };
}

/** The worst case a budget allows, from the callback arriving to the service answering. */
export const worstCaseMs = (budget: ServiceBudget) =>
  budget.stripeTimeoutMs * (budget.stripeRetries + 1) +
  budget.stripeRetryDelayMs +
  budget.writeBackTimeoutMs +
  budget.marginMs;
