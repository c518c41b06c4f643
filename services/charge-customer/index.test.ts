import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paygraphClient } from '../lib/paygraph-client.js';
import type { Stripe } from '../lib/stripe-client.js';
import type { FakePaygraph } from '../lib/test-support/fake-paygraph.js';
import { closedPortUrl, listen } from '../lib/test-support/listen.js';
import { sendCallback } from '../lib/test-support/send-callback.js';
import { startServiceHarness, type ServiceHarness } from '../lib/test-support/service-harness.js';
import { chargeCustomerHandler } from './index.js';

const TOKEN = 'pgt_charge_customer_test';

// A purchase is charged at most once, whatever happens; counted on the Stripe side, by the
// purchase id every charge carries in its metadata.
describe('charge-customer', () => {
  let harness: ServiceHarness;
  let api: FakePaygraph;
  let stripe: Stripe;
  let serviceUrl: string;
  beforeAll(async () => {
    harness = await startServiceHarness(chargeCustomerHandler, TOKEN);
    ({ api, stripe, url: serviceUrl } = harness);
  });
  afterAll(() => harness?.stop());

  /** A Stripe customer as create-customer leaves it: made with the card as its default source. */
  const customerWith = async (cardToken: string) => (await stripe.customers.create({ email: `${randomUUID()}@example.com`, source: cardToken })).id;
  /** The payload of chargePurchase in callbacks.yml. */
  const newPurchase = (stripeId: string | null, amount = 50_000) => {
    const n = randomUUID().slice(0, 8);
    return { id: `pur_${n}`, amount, currency: 'usd', description: 'A new laptop', isPaid: false, user: { id: `u_${n}`, stripeId } };
  };
  const chargesFor = async (purchaseId: string) => {
    const charges: Stripe.Charge[] = [];
    for await (const charge of stripe.charges.list({ limit: 100 })) if (charge.metadata?.purchaseId === purchaseId) charges.push(charge);
    return charges;
  };
  const settlements = (purchaseId: string) => api.writes('updatePurchase', purchaseId);

  it('the tutorial purchase: one charge of the right amount on the customer, and the purchase settled with it', async () => {
    const stripeId = await customerWith('tok_visa');
    const purchase = newPurchase(stripeId);
    const response = await sendCallback(serviceUrl, purchase);

    const charges = await chargesFor(purchase.id);
    expect(charges).toHaveLength(1);
    const charge = charges[0]!;
    expect(charge).toMatchObject({ amount: 50_000, currency: 'usd', status: 'succeeded', description: `Paygraph purchase ${purchase.id}: A new laptop` });
    expect(charge.metadata).toEqual({ purchaseId: purchase.id, userId: purchase.user.id });
    // The stand-in leaves charge.customer null; the card it charged belongs to the customer.
    expect((charge.source as Stripe.Card).customer).toBe(stripeId);
    expect(response).toEqual({ status: 200, body: { paid: purchase.id, charge: charge.id }, text: expect.any(String) });
    expect(settlements(purchase.id)).toEqual([{ id: purchase.id, chargeId: charge.id }]);
  });

  it('an already paid purchase: 200, nothing charged, nothing written', async () => {
    const purchase = { ...newPurchase(await customerWith('tok_visa')), isPaid: true };
    expect(await sendCallback(serviceUrl, purchase)).toMatchObject({ status: 200, body: { skipped: 'already paid' } });
    expect(await chargesFor(purchase.id)).toEqual([]);
    expect(settlements(purchase.id)).toEqual([]);
  });

  it('a purchase before the customer exists: 409 (retried), nothing charged', async () => {
    const purchase = newPurchase(null);
    const response = await sendCallback(serviceUrl, purchase);
    expect(response).toMatchObject({ status: 409, body: { error: expect.stringMatching(/no Stripe customer yet/) } });
    expect(await chargesFor(purchase.id)).toEqual([]);
    expect(settlements(purchase.id)).toEqual([]);
  });

  // Measured: these cards attach fine and are declined when charged; the stand-in keeps the failed charge.
  it.each([
    ['tok_chargeCustomerFail', 'card_declined', 'Your card was declined.'],
    ['tok_chargeDeclinedFraudulent', 'card_declined', 'Your card was declined.'],
    ['tok_chargeDeclinedProcessingError', 'processing_error', 'An error occurred while processing your card. Try again in a little bit.'],
  ])('a card declined when charged (%s): 200, purchase FAILED with the reason, no successful charge', async (token, code, message) => {
    const purchase = newPurchase(await customerWith(token));
    expect(await sendCallback(serviceUrl, purchase)).toMatchObject({ status: 200, body: { failed: purchase.id, reason: code } });
    expect(settlements(purchase.id)).toEqual([{ id: purchase.id, code, message }]);
    expect((await chargesFor(purchase.id)).map((charge) => charge.status)).toEqual(['failed']);
  });

  it('an amount under Stripe’s minimum: 200, purchase FAILED (final), nothing charged', async () => {
    const purchase = newPurchase(await customerWith('tok_visa'), 10);
    expect(await sendCallback(serviceUrl, purchase)).toMatchObject({ status: 200, body: { failed: purchase.id, reason: 'amount_too_small' } });
    expect(settlements(purchase.id)).toEqual([{ id: purchase.id, code: 'amount_too_small', message: expect.stringMatching(/at least/) }]);
    expect(await chargesFor(purchase.id)).toEqual([]);
  });

  it('the same delivery twice: one charge', async () => {
    const purchase = newPurchase(await customerWith('tok_visa'));
    const id = `dlv_${randomUUID()}`;
    expect((await sendCallback(serviceUrl, purchase, { id })).status).toBe(200);
    expect((await sendCallback(serviceUrl, purchase, { id, attempt: 2 })).status).toBe(200);
    const charges = await chargesFor(purchase.id);
    expect(charges).toHaveLength(1);
    expect(settlements(purchase.id)).toEqual([
      { id: purchase.id, chargeId: charges[0]!.id },
      { id: purchase.id, chargeId: charges[0]!.id },
    ]);
  });

  it('five deliveries of one purchase at once: one charge, and every settlement names it', async () => {
    const purchase = newPurchase(await customerWith('tok_visa'));
    // All five ask Stripe for the charge at the same moment, none having found one before.
    harness.gateway.gatherNext('/v1/charges', 5);
    const responses = await Promise.all(Array.from({ length: 5 }, () => sendCallback(serviceUrl, purchase)));
    // 409 would be Stripe saying another request holds the key right now: retried, never a second charge.
    expect(responses.every((response) => response.status === 200 || response.status === 409)).toBe(true);
    const charges = await chargesFor(purchase.id);
    expect(charges).toHaveLength(1);
    expect(new Set(settlements(purchase.id).map((write) => write.chargeId))).toEqual(new Set([charges[0]!.id]));
  });

  it('charged, but the write-back answered 503: 503, and the redelivery settles with the same charge', async () => {
    const purchase = newPurchase(await customerWith('tok_visa'), 4_321);
    const id = `dlv_${randomUUID()}`;
    api.failNext('updatePurchase', 503);
    expect((await sendCallback(serviceUrl, purchase, { id })).status).toBe(503);
    const [charge, ...others] = await chargesFor(purchase.id);
    expect(others).toEqual([]);
    expect(charge).toMatchObject({ status: 'succeeded', amount: 4_321 });
    expect(settlements(purchase.id)).toEqual([]);

    expect((await sendCallback(serviceUrl, purchase, { id, attempt: 2 })).status).toBe(200);
    expect((await chargesFor(purchase.id)).map((c) => c.id)).toEqual([charge!.id]);
    expect(settlements(purchase.id)).toEqual([{ id: purchase.id, chargeId: charge!.id }]);
  });

  it('the Paygraph API unreachable: 503 after charging; the redelivery settles with the same charge', async () => {
    const purchase = newPurchase(await customerWith('tok_visa'));
    const apiAway = await listen(chargeCustomerHandler({ ...harness.deps, paygraph: paygraphClient(await closedPortUrl('/graphql'), TOKEN) }));
    try {
      expect(await sendCallback(apiAway.url, purchase)).toMatchObject({ status: 503, body: { error: expect.stringMatching(/Paygraph API unreachable/) } });
    } finally {
      await apiAway.close();
    }
    expect((await sendCallback(serviceUrl, purchase)).status).toBe(200);
    const charges = await chargesFor(purchase.id);
    expect(charges).toHaveLength(1);
    expect(settlements(purchase.id)).toEqual([{ id: purchase.id, chargeId: charges[0]!.id }]);
  });

  it('redelivered after Stripe forgot the idempotency key: the charge carrying the purchase id is reused', async () => {
    const stripeId = await customerWith('tok_visa');
    const purchase = newPurchase(stripeId, 999);
    // Made days ago by an earlier attempt, under a key Stripe no longer remembers.
    const earlier = await stripe.charges.create({ amount: 999, currency: 'usd', customer: stripeId, metadata: { purchaseId: purchase.id } });
    const threeDaysLater = { createdAt: new Date(Date.now() - 3 * 86_400_000) };
    expect((await sendCallback(serviceUrl, purchase, threeDaysLater)).status).toBe(200);
    expect((await chargesFor(purchase.id)).map((c) => c.id)).toEqual([earlier.id]);
    expect(settlements(purchase.id)).toEqual([{ id: purchase.id, chargeId: earlier.id }]);
  });

  it('Stripe unreachable: 503 and nothing charged; once it is back, the redelivery pays', async () => {
    const purchase = newPurchase(await customerWith('tok_visa'), 777);
    const id = `dlv_${randomUUID()}`;
    harness.gateway.down = true;
    try {
      expect(await sendCallback(serviceUrl, purchase, { id })).toMatchObject({ status: 503, body: { error: expect.stringMatching(/^Stripe unavailable/) } });
    } finally {
      harness.gateway.down = false;
    }
    expect(await chargesFor(purchase.id)).toEqual([]);
    expect(settlements(purchase.id)).toEqual([]);

    expect((await sendCallback(serviceUrl, purchase, { id, attempt: 2 })).status).toBe(200);
    const charges = await chargesFor(purchase.id);
    expect(charges).toHaveLength(1);
    expect(settlements(purchase.id)).toEqual([{ id: purchase.id, chargeId: charges[0]!.id }]);
  });

  it.each([
    ['forged', { tamper: (body: string) => body.replace('"amount":50000', '"amount":1') }],
    ['signed with another secret', { secret: `whsec_${Buffer.from('not-the-paygraph-signing-secret!').toString('base64')}` }],
    ['stale', { timestamp: new Date(Date.now() - 10 * 60_000) }],
    ['unsigned', { unsigned: true }],
  ])('a %s callback: 401, nothing charged, nothing written', async (_case, options) => {
    const purchase = newPurchase(await customerWith('tok_visa'));
    const response = await sendCallback(serviceUrl, purchase, options);
    expect(response.status).toBe(401);
    expect(response.text).not.toMatch(/\n\s+at /);
    expect(await chargesFor(purchase.id)).toEqual([]);
    expect(settlements(purchase.id)).toEqual([]);
  });

  it('its own access token refused: 503, loudly, and nothing charged', async () => {
    const purchase = newPurchase(await customerWith('tok_visa'));
    api.refuseNext('viewerAccessToken', 'UNAUTHENTICATED');
    const response = await sendCallback(serviceUrl, purchase);
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ error: expect.stringMatching(/access token is refused.*nothing is charged/) });
    expect(await chargesFor(purchase.id)).toEqual([]);
    expect(settlements(purchase.id)).toEqual([]);
  });

  it('a customer Stripe no longer knows: the purchase FAILED (final), the stale id forgotten, nothing charged', async () => {
    const purchase = newPurchase('cus_gone0000000000');
    const response = await sendCallback(serviceUrl, purchase);
    expect(response).toMatchObject({ status: 200, body: { failed: purchase.id, reason: 'customer_missing' } });
    expect(settlements(purchase.id)).toEqual([expect.objectContaining({ id: purchase.id, code: 'customer_missing' })]);
    expect(api.writes('forgetStripeCustomer', purchase.user.id)).toEqual([{ id: purchase.user.id, stripeId: 'cus_gone0000000000' }]);
    expect(await chargesFor(purchase.id)).toEqual([]);
  });
});
