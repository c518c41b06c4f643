import { createError } from 'micro';
import { keysMayBeForgotten } from '../lib/stripe-idempotency.js';
import { Stripe } from '../lib/stripe-client.js';

// Listing is the fallback for servers without search; bounded, so a huge account cannot stall a callback.
const LIST_LIMIT = 10_000;
// Stripe's clock and ours may disagree a little; an intent is never older than its purchase by more.
const CLOCK_MARGIN_S = 3_600;
// Search lags behind writes (under a minute, longer while Stripe is troubled): a younger purchase's
// PaymentIntent may not show in it yet.
const SEARCH_LAG_MS = 3_600_000;

export interface LookupOptions {
  /**
   * The caller creates nothing if this finds nothing (it is about to record a failure), so no
   * idempotency key covers search's lag or a server without search: listing does.
   */
  exact?: boolean;
}

/**
 * The PaymentIntent already made for this purchase (found by `metadata.purchaseId`), if any. Asked
 * when the idempotency key cannot answer: after Stripe may have forgotten it (a redelivery a day
 * later), when it was used with other parameters (the user's newest card changed between attempts),
 * and before a failure is recorded (`exact`). Without `exact`, search's own lag is covered by the key
 * within its 24 hours.
 */
export async function findPaymentIntentForPurchase(
  stripe: Stripe,
  purchase: PurchaseAsked,
  purchasedAt: Date,
  options: LookupOptions = {},
): Promise<Stripe.PaymentIntent | null> {
  const searched = await searchPaymentIntents(stripe, purchase.id);
  const own = searched?.filter((intent) => isOwnPaymentIntent(intent, purchase));
  if (own?.length) return oldest(own);
  if (!listingNeeded(searched !== null, purchasedAt, options)) return null;
  return oldest(
    (await listPaymentIntents(stripe, purchase.id, purchasedAt)).filter((intent) =>
      isOwnPaymentIntent(intent, purchase),
    ),
  );
}

/** What charge-customer asks Stripe for: a PaymentIntent found by its metadata must also be of this money. */
export interface PurchaseAsked {
  id: string;
  amount: number;
  currency: string;
}

/**
 * Anyone with the account's keys can write `metadata.purchaseId` (a Dashboard payment copied from
 * another): only a PaymentIntent of the purchase's amount and currency settles it.
 */
export const isOwnPaymentIntent = (intent: Stripe.PaymentIntent, purchase: PurchaseAsked): boolean =>
  intent.amount === purchase.amount && intent.currency === purchase.currency.toLowerCase();

// Without search, listing is O(intents): worth it only once the key may have been forgotten, or when no key stands behind the answer.
function listingNeeded(searchable: boolean, purchasedAt: Date, { exact = false }: LookupOptions): boolean {
  if (!searchable) return exact || keysMayBeForgotten(purchasedAt);
  return exact && Date.now() - purchasedAt.getTime() < SEARCH_LAG_MS;
}

const oldest = (intents: Stripe.PaymentIntent[]) => intents.sort((a, b) => a.created - b.created)[0] ?? null;

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

/**
 * Every PaymentIntent since the purchase, newest first. No upper bound on `created`: a manual trigger
 * or a redelivery can make the purchase's PaymentIntent any time after it, past any retry schedule.
 * Stopping early without a match is not "none": that would charge a second time, so it is retried.
 */
async function listPaymentIntents(
  stripe: Stripe,
  purchaseId: string,
  purchasedAt: Date,
): Promise<Stripe.PaymentIntent[]> {
  const since = Math.floor(purchasedAt.getTime() / 1000) - CLOCK_MARGIN_S;
  const matches: Stripe.PaymentIntent[] = [];
  let seen = 0;
  for await (const intent of stripe.paymentIntents.list({ limit: 100, created: { gte: since } })) {
    if (intent.metadata?.purchaseId === purchaseId) matches.push(intent);
    if (++seen < LIST_LIMIT) continue;
    if (matches.length) break;
    throw createError(
      503,
      `Over ${LIST_LIMIT} PaymentIntents since the purchase and no search to find its own: retried rather than charged again`,
      new Error('listing limit'),
    );
  }
  return matches;
}
