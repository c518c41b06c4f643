import Stripe from 'stripe';

// Stripe remembers an idempotency key for 24 hours; a little less, to be safe at the edge.
const IDEMPOTENCY_MEMORY_MS = 23 * 3_600_000;
const LIST_LIMIT = 1000;

/**
 * A successful charge already made for this purchase, if any. Search finds it on Stripe; servers
 * without search (the local stand-in) are listed instead, but only once the idempotency key may have
 * been forgotten, since until then the key alone prevents a second charge.
 */
export async function findChargeForPurchase(stripe: Stripe, purchaseId: string, committedAt: Date): Promise<Stripe.Charge | null> {
  try {
    const found = await stripe.charges.search({ query: `metadata['purchaseId']:'${purchaseId.replace(/'/g, '')}'`, limit: 10 });
    return found.data.find((charge) => charge.status === 'succeeded') ?? null;
  } catch (error) {
    const unsupported = error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404;
    if (!unsupported) throw error;
  }
  if (Date.now() - committedAt.getTime() < IDEMPOTENCY_MEMORY_MS) return null;
  for await (const charge of listCharges(stripe)) {
    if (charge.metadata?.purchaseId === purchaseId && charge.status === 'succeeded') return charge;
  }
  return null;
}

async function* listCharges(stripe: Stripe): AsyncGenerator<Stripe.Charge> {
  let seen = 0;
  for await (const charge of stripe.charges.list({ limit: 100 })) {
    yield charge;
    if (++seen >= LIST_LIMIT) return;
  }
}
