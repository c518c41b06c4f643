import { Stripe } from '../lib/stripe-client.js';

// Stripe remembers an idempotency key for 24 hours; an hour less, to be safe at the edge.
const IDEMPOTENCY_MEMORY_MS = 23 * 3_600_000;
// Listing is the fallback for servers without search; bounded, so a huge account cannot stall a callback.
const LIST_LIMIT = 1_000;
// Stripe's clock and ours may disagree a little; a charge is never older than its purchase by more.
const CLOCK_MARGIN_S = 3_600;

/**
 * A charge already made for this purchase (found by `metadata.purchaseId`) that did not fail, if any.
 * Within 24 hours the idempotency key alone prevents a second charge; this covers a redelivery after
 * Stripe has forgotten the key, and search's own lag is covered by the key.
 */
export async function findChargeForPurchase(stripe: Stripe, purchaseId: string, purchasedAt: Date): Promise<Stripe.Charge | null> {
  let charges = await searchCharges(stripe, purchaseId);
  // Without search, listing is O(charges): worth it only once the key may have been forgotten.
  if (!charges && Date.now() - purchasedAt.getTime() >= IDEMPOTENCY_MEMORY_MS) {
    charges = await listCharges(stripe, purchaseId, purchasedAt);
  }
  return charges?.find((charge) => charge.status !== 'failed') ?? null;
}

/** Servers found to have no search are not asked again. */
const withoutSearch = new WeakSet<Stripe>();

/** Stripe's search; null where the server has none (the local stand-in answers 404 for it). */
async function searchCharges(stripe: Stripe, purchaseId: string): Promise<Stripe.Charge[] | null> {
  if (withoutSearch.has(stripe)) return null;
  try {
    const quoted = purchaseId.replace(/[\\']/g, (character) => `\\${character}`);
    return (await stripe.charges.search({ query: `metadata['purchaseId']:'${quoted}'`, limit: 100 })).data;
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
    if (error.statusCode === 404) withoutSearch.add(stripe);
    return null;
  }
}

/** Every charge since the purchase was made, matched on metadata (`charges.list({ customer })` is not reliable on stand-ins). */
async function listCharges(stripe: Stripe, purchaseId: string, purchasedAt: Date): Promise<Stripe.Charge[]> {
  const since = Math.floor(purchasedAt.getTime() / 1000) - CLOCK_MARGIN_S;
  const matches: Stripe.Charge[] = [];
  let seen = 0;
  for await (const charge of stripe.charges.list({ limit: 100, created: { gte: since } })) {
    if (charge.metadata?.purchaseId === purchaseId) matches.push(charge);
    if (++seen >= LIST_LIMIT) break;
  }
  return matches;
}
