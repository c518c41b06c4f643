import { keysMayBeForgotten } from '../lib/stripe-idempotency.js';
import { Stripe } from '../lib/stripe-client.js';

// Listing is the fallback for servers without search; bounded, so a huge account cannot stall a callback.
const LIST_LIMIT = 1_000;
// Stripe's clock and ours may disagree a little; an intent is never older than its purchase by more.
const CLOCK_MARGIN_S = 3_600;

/**
 * The PaymentIntent already made for this purchase (found by `metadata.purchaseId`), if any. Asked
 * only when the idempotency key cannot answer: after Stripe may have forgotten it (a redelivery a
 * day later), or when it was used with other parameters (the user's newest card changed between
 * attempts). Search's own lag is covered by the key within its 24 hours.
 */
export async function findPaymentIntentForPurchase(stripe: Stripe, purchaseId: string, purchasedAt: Date): Promise<Stripe.PaymentIntent | null> {
  let intents = await searchPaymentIntents(stripe, purchaseId);
  // Without search, listing is O(intents): worth it only once the key may have been forgotten.
  if (!intents && keysMayBeForgotten(purchasedAt)) intents = await listPaymentIntents(stripe, purchaseId, purchasedAt);
  return intents?.sort((a, b) => a.created - b.created)[0] ?? null;
}

/** Servers found to have no search are not asked again. */
const withoutSearch = new WeakSet<Stripe>();

async function searchPaymentIntents(stripe: Stripe, purchaseId: string): Promise<Stripe.PaymentIntent[] | null> {
  if (withoutSearch.has(stripe)) return null;
  try {
    const quoted = purchaseId.replace(/[\\']/g, (character) => `\\${character}`);
    return (await stripe.paymentIntents.search({ query: `metadata['purchaseId']:'${quoted}'`, limit: 100 })).data;
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
    if (error.statusCode === 404) withoutSearch.add(stripe);
    return null;
  }
}

async function listPaymentIntents(stripe: Stripe, purchaseId: string, purchasedAt: Date): Promise<Stripe.PaymentIntent[]> {
  const since = Math.floor(purchasedAt.getTime() / 1000) - CLOCK_MARGIN_S;
  const matches: Stripe.PaymentIntent[] = [];
  let seen = 0;
  for await (const intent of stripe.paymentIntents.list({ limit: 100, created: { gte: since } })) {
    if (intent.metadata?.purchaseId === purchaseId) matches.push(intent);
    if (++seen >= LIST_LIMIT) break;
  }
  return matches;
}
