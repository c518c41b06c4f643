import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stripe } from '../lib/stripe-client.js';
import type { FakePaygraph } from '../../packages/testing/fake-paygraph.js';
import { customerWithCard, purchaseOf } from '../../packages/testing/saved-customer.js';
import { sendCallback } from '../../packages/testing/send-callback.js';
import { startServiceHarness, type ServiceHarness } from '../../packages/testing/service-harness.js';
import { paymentIntentsFor } from '../../packages/testing/stripe-lookups.js';
import { chargeCustomerHandler } from './index.js';

const TOKEN = 'pgt_charge_customer_missing_test';

// Stripe's "Error codes" page: resource_missing is final. A customer deleted in the Dashboard (or a
// local Stripe restarted empty) ends the purchase at once instead of a 500 retried for days.
describe('charge-customer: what Stripe no longer knows', () => {
  let harness: ServiceHarness;
  let api: FakePaygraph;
  let stripe: Stripe;
  let serviceUrl: string;
  beforeAll(async () => {
    harness = await startServiceHarness(chargeCustomerHandler, TOKEN);
    ({ api, stripe, url: serviceUrl } = harness);
  });
  afterAll(() => harness?.stop());

  const customerWith = (paymentMethod: string) => customerWithCard(stripe, paymentMethod);
  const newPurchase = purchaseOf;
  const intentsFor = (purchaseId: string) => paymentIntentsFor(stripe, purchaseId);

  it('a customer deleted at Stripe (Dashboard): 200 at once, FAILED customer_missing, nothing charged, stripeId forgotten', async () => {
    const saved = await customerWith('pm_card_visa');
    await stripe.customers.del(saved.stripeId);
    const purchase = newPurchase(saved);
    const response = await sendCallback(serviceUrl, purchase);
    expect(response).toMatchObject({ status: 200, body: { failed: purchase.id, reason: 'customer_missing' } });
    expect(api.writes('updatePurchase', purchase.id)).toEqual([
      expect.objectContaining({
        status: 'FAILED',
        code: 'customer_missing',
        message: expect.stringMatching(/nothing was charged/),
      }),
    ]);
    expect(api.writes('forgetStripeCustomer', purchase.user.id)).toEqual([
      { id: purchase.user.id, stripeId: saved.stripeId },
    ]);
    expect((await intentsFor(purchase.id)).filter((intent) => intent.status === 'succeeded')).toEqual([]);
  });

  it('a card whose PaymentMethod Stripe does not know, on a customer it knows: FAILED payment_method_missing, the card forgotten', async () => {
    const saved = await customerWith('pm_card_visa');
    const purchase = newPurchase({ stripeId: saved.stripeId, pm: 'pm_gone_after_a_restart' });
    const response = await sendCallback(serviceUrl, purchase);
    expect(response).toMatchObject({ status: 200, body: { failed: purchase.id, reason: 'payment_method_missing' } });
    expect(api.writes('updatePurchase', purchase.id)).toEqual([
      expect.objectContaining({ status: 'FAILED', code: 'payment_method_missing' }),
    ]);
    expect(api.writes('forgetStripePaymentMethod', purchase.user.id)).toEqual([
      { id: purchase.user.id, pm: 'pm_gone_after_a_restart' },
    ]);
    expect(api.writes('forgetStripeCustomer', purchase.user.id)).toEqual([]);
  });
});
