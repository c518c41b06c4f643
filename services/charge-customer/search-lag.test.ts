import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerWithCard, purchaseOf, saveCard } from '../../packages/testing/saved-customer.js';
import { sendCallback } from '../../packages/testing/send-callback.js';
import { startServiceHarness, type ServiceHarness } from '../../packages/testing/service-harness.js';
import { paymentIntentsFor } from '../../packages/testing/stripe-lookups.js';
import { chargeCustomerHandler } from './index.js';

const TOKEN = 'pgt_charge_customer_search_lag';
// Stripe's "under a minute" (docs/search#data-freshness), on the stand-in's clock: a test ends it by moving that clock.
const SEARCH_LAG_S = 60;

// find-payment-intent.ts: a redelivery whose idempotency key was used with other parameters looks the
// PaymentIntent up by search; inside search's lag it is not found yet, and nothing is charged twice.
describe('charge-customer: search lags behind writes', () => {
  let harness: ServiceHarness;
  beforeAll(async () => {
    harness = await startServiceHarness(chargeCustomerHandler, TOKEN, { searchLagMs: SEARCH_LAG_S * 1000 });
  });
  afterAll(() => harness?.stop());

  it('a redelivery inside the lag with the newest card changed: retried (5xx), not charged again; after the lag, settled with the first PaymentIntent', async () => {
    const { stripe, api } = harness;
    const saved = await customerWithCard(stripe, 'pm_card_visa');
    const purchase = purchaseOf(saved, 4_200);
    api.failNext('updatePurchase', 503);
    expect((await sendCallback(harness.url, purchase)).status).toBe(503);
    const [first, ...more] = await paymentIntentsFor(stripe, purchase.id);
    expect(more).toEqual([]);
    expect((await stripe.paymentIntents.search({ query: `metadata['purchaseId']:'${purchase.id}'` })).data).toEqual([]);

    // The user saved another card meanwhile: the key's parameters differ, so the service looks the intent up.
    const newer = await saveCard(stripe, saved.stripeId, 'pm_card_mastercard');
    const cards = [...purchase.user.cardDetails, { status: 'ACTIVE', stripePaymentMethodId: newer }];
    const redelivered = { ...purchase, user: { ...purchase.user, cardDetails: cards } };
    const inside = await sendCallback(harness.url, redelivered, { attempt: 2 });
    expect(inside.status).toBeGreaterThanOrEqual(500);
    expect(await paymentIntentsFor(stripe, purchase.id)).toHaveLength(1);
    expect(api.writes('updatePurchase', purchase.id)).toEqual([]);

    await harness.stripe.rawRequest('POST', '/v1/test_helpers/stripe_local/clock/advance', { seconds: SEARCH_LAG_S });
    expect(await sendCallback(harness.url, redelivered, { attempt: 3 })).toMatchObject({
      status: 200,
      body: { paid: purchase.id, paymentIntent: first!.id },
    });
    expect(await paymentIntentsFor(stripe, purchase.id)).toHaveLength(1);
  });
});
