import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stripe } from '../lib/stripe-client.js';
import type { FakePaygraph } from '../../packages/testing/fake-paygraph.js';
import { listen } from '../../packages/testing/listen.js';
import { customerWithCard, saveCard } from '../../packages/testing/saved-customer.js';
import { sendCallback } from '../../packages/testing/send-callback.js';
import { startServiceHarness, type ServiceHarness } from '../../packages/testing/service-harness.js';
import { paymentIntentsFor, untilSearchShows } from '../../packages/testing/stripe-lookups.js';
import { chargeCustomerHandler } from './index.js';

const TOKEN = 'pgt_charge_customer_test';

// A purchase is charged at most once, whatever happens; counted on the Stripe side, by the purchase
// id every PaymentIntent carries in its metadata.
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

  const customerWith = (paymentMethod: string) => customerWithCard(stripe, paymentMethod);
  /** The payload of chargePurchase in callbacks.yml. */
  const newPurchase = (
    saved: { stripeId: string; pm: string } | null,
    amount = 50_000,
    cards: { status: string; stripePaymentMethodId: string | null }[] = saved
      ? [{ status: 'ACTIVE', stripePaymentMethodId: saved.pm }]
      : [],
  ) => {
    const n = randomUUID().slice(0, 8);
    return {
      id: `pur_${n}`,
      amount,
      currency: 'usd',
      description: 'A new laptop',
      isPaid: false,
      status: 'PENDING',
      createdAt: new Date().toISOString(),
      user: { id: `u_${n}`, stripeId: saved?.stripeId ?? null, cardDetails: cards },
    };
  };
  const intentsFor = (purchaseId: string) => paymentIntentsFor(stripe, purchaseId);
  const settlements = (purchaseId: string) => api.writes('updatePurchase', purchaseId);
  /** Moves the Stripe stand-in's clock on (ours stays): past 24 hours, it has forgotten idempotency keys. */
  const advanceStripeClock = async (seconds: number) => {
    const response = await fetch(`${harness.gateway.url}/v1/test_helpers/stripe_local/clock/advance`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk_test_services', 'content-type': 'application/x-www-form-urlencoded' },
      body: `seconds=${seconds}`,
    });
    expect(response.status).toBe(200);
  };
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

  it('the tutorial purchase: one off-session PaymentIntent on the customer and card, and the purchase settled with it', async () => {
    const saved = await customerWith('pm_card_visa');
    const purchase = newPurchase(saved);
    const response = await sendCallback(serviceUrl, purchase);
    const intents = await intentsFor(purchase.id);
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({
      amount: 50_000,
      currency: 'usd',
      status: 'succeeded',
      customer: saved.stripeId,
      payment_method: saved.pm,
      // Valid at Stripe: one that allowed redirects would be refused for want of a return_url (changelog 2023-08-16).
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(intents[0]!.metadata).toEqual({ purchaseId: purchase.id, userId: purchase.user.id });
    expect(response).toMatchObject({ status: 200, body: { paid: purchase.id, paymentIntent: intents[0]!.id } });
    expect(settlements(purchase.id)).toEqual([
      expect.objectContaining({ status: 'PAID', pi: intents[0]!.id, charge: intents[0]!.latest_charge }),
    ]);
  });

  it('an already paid purchase: 200, nothing charged, nothing written', async () => {
    const purchase = { ...newPurchase(await customerWith('pm_card_visa')), isPaid: true };
    expect(await sendCallback(serviceUrl, purchase)).toMatchObject({ status: 200, body: { skipped: 'already paid' } });
    expect(await intentsFor(purchase.id)).toEqual([]);
    expect(settlements(purchase.id)).toEqual([]);
  });

  it('a card still being saved: 409 (woken when it is), nothing charged; no card at all: FAILED no_payment_method', async () => {
    const waiting = newPurchase(null, 100, [{ status: 'PENDING', stripePaymentMethodId: null }]);
    expect((await sendCallback(serviceUrl, waiting)).status).toBe(409);
    const none = newPurchase(null, 100, [{ status: 'REJECTED', stripePaymentMethodId: null }]);
    expect(await sendCallback(serviceUrl, none)).toMatchObject({
      status: 200,
      body: { failed: none.id, reason: 'no_payment_method' },
    });
    expect([...(await intentsFor(waiting.id)), ...(await intentsFor(none.id))]).toEqual([]);
  });

  it('a card declined when charged: 200, purchase FAILED with the reason, no successful PaymentIntent', async () => {
    const purchase = newPurchase(await customerWith('pm_card_chargeCustomerFail'));
    expect(await sendCallback(serviceUrl, purchase)).toMatchObject({
      status: 200,
      body: { failed: purchase.id, reason: 'card_declined' },
    });
    expect((await intentsFor(purchase.id)).filter((intent) => intent.status === 'succeeded')).toEqual([]);
  });

  it('a card not set up for off-session use (3-D Secure asked when saved, never finished): REQUIRES_ACTION with the client secret', async () => {
    const purchase = newPurchase(await customerWith('pm_card_authenticationRequiredOnSetup'));
    expect(await sendCallback(serviceUrl, purchase)).toMatchObject({
      status: 200,
      body: { requiresAction: purchase.id },
    });
    expect(settlements(purchase.id)).toEqual([
      expect.objectContaining({ status: 'REQUIRES_ACTION', secret: expect.stringContaining('_secret_') }),
    ]);
  });

  it('the same delivery twice, and five at once: one PaymentIntent, every settlement names it', async () => {
    const purchase = newPurchase(await customerWith('pm_card_visa'));
    const id = randomUUID();
    expect((await sendCallback(serviceUrl, purchase, { id })).status).toBe(200);
    expect((await sendCallback(serviceUrl, purchase, { id, attempt: 2 })).status).toBe(200);
    const responses = await Promise.all(Array.from({ length: 5 }, () => sendCallback(serviceUrl, purchase)));
    expect(responses.every((response) => response.status === 200 || response.status === 409)).toBe(true);
    const intents = await intentsFor(purchase.id);
    expect(intents).toHaveLength(1);
    expect(new Set(settlements(purchase.id).map((write) => write.pi))).toEqual(new Set([intents[0]!.id]));
  });

  it('paid, but the write-back answered 503: 503, and the redelivery settles with the same PaymentIntent', async () => {
    const purchase = newPurchase(await customerWith('pm_card_visa'));
    api.failNext('updatePurchase', 503);
    expect((await sendCallback(serviceUrl, purchase)).status).toBe(503);
    expect((await sendCallback(serviceUrl, purchase, { attempt: 2 })).status).toBe(200);
    expect(await intentsFor(purchase.id)).toHaveLength(1);
  });

  it('redelivered after Stripe forgot the idempotency key: the PaymentIntent carrying the purchase id is reused', async () => {
    const saved = await customerWith('pm_card_visa');
    const purchase = { ...newPurchase(saved), createdAt: new Date(Date.now() - 3 * 86_400_000).toISOString() };
    const earlier = await stripe.paymentIntents.create({
      amount: 50_000,
      currency: 'usd',
      customer: saved.stripeId,
      payment_method: saved.pm,
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      off_session: true,
      metadata: { purchaseId: purchase.id },
    });
    // Made three days ago, as far as search knows.
    await untilSearchShows(stripe, { purchaseId: purchase.id });
    const threeDaysLater = { createdAt: new Date(purchase.createdAt) };
    expect((await sendCallback(serviceUrl, purchase, threeDaysLater)).status).toBe(200);
    expect(await intentsFor(purchase.id)).toHaveLength(1);
    expect(settlements(purchase.id)).toEqual([expect.objectContaining({ pi: earlier.id })]);
  });

  it('a PaymentIntent of another amount that copies the purchase id in its metadata settles nothing: the purchase is charged its own amount', async () => {
    const saved = await customerWith('pm_card_visa');
    const purchase = { ...newPurchase(saved), createdAt: new Date(Date.now() - 3 * 86_400_000).toISOString() };
    // A Dashboard payment whose metadata was copied from the purchase's: found by search, not the purchase's own.
    const copied = await stripe.paymentIntents.create({
      amount: 50,
      currency: 'usd',
      customer: saved.stripeId,
      payment_method: saved.pm,
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      off_session: true,
      metadata: { purchaseId: purchase.id },
    });
    await untilSearchShows(stripe, { purchaseId: purchase.id });
    expect((await sendCallback(serviceUrl, purchase, { createdAt: new Date(purchase.createdAt) })).status).toBe(200);
    const own = (await intentsFor(purchase.id)).filter((intent) => intent.id !== copied.id);
    expect(own).toEqual([expect.objectContaining({ amount: 50_000, status: 'succeeded' })]);
    expect(settlements(purchase.id)).toEqual([expect.objectContaining({ status: 'PAID', pi: own[0]!.id })]);
  });

  it("paid, write-back lost, and the user's newest card changed before the redelivery: the first PaymentIntent is found, none made twice", async () => {
    const saved = await customerWith('pm_card_visa');
    const purchase = newPurchase(saved);
    api.failNext('updatePurchase', 503);
    expect((await sendCallback(serviceUrl, purchase)).status).toBe(503);
    const [first] = await intentsFor(purchase.id);
    const newer = await saveCard(stripe, saved.stripeId, 'pm_card_mastercard');
    const cards = [...purchase.user.cardDetails, { status: 'ACTIVE', stripePaymentMethodId: newer }];
    const redelivered = { ...purchase, user: { ...purchase.user, cardDetails: cards } };
    // Redelivered once search shows the first (inside its lag: search-lag.test.ts).
    await untilSearchShows(stripe, { purchaseId: purchase.id });
    expect((await sendCallback(serviceUrl, redelivered, { attempt: 2 })).status).toBe(200);
    expect(await intentsFor(purchase.id)).toHaveLength(1);
    expect(settlements(purchase.id).at(-1)).toMatchObject({ status: 'PAID', pi: first!.id });
  });

  it('its own access token refused: 503, loudly, and nothing charged', async () => {
    // A service just started: it has not asked about its token yet.
    const fresh = await listen(chargeCustomerHandler(harness.deps));
    try {
      const purchase = newPurchase(await customerWith('pm_card_visa'));
      api.refuseNext('viewerAccessToken', 'UNAUTHENTICATED');
      expect((await sendCallback(fresh.url, purchase)).status).toBe(503);
      expect(await intentsFor(purchase.id)).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('a write-back refused for its token: the next charge asks about the token first, and a refused one charges nothing', async () => {
    const paid = newPurchase(await customerWith('pm_card_visa'));
    api.refuseNext('updatePurchase', 'UNAUTHENTICATED');
    expect((await sendCallback(serviceUrl, paid)).status).toBe(500);
    const next = newPurchase(await customerWith('pm_card_visa'));
    api.refuseNext('viewerAccessToken', 'UNAUTHENTICATED');
    expect((await sendCallback(serviceUrl, next)).status).toBe(503);
    expect(await intentsFor(next.id)).toEqual([]);
    // A token accepted again: charged at once.
    expect((await sendCallback(serviceUrl, next, { attempt: 2 })).status).toBe(200);
    expect(await intentsFor(next.id)).toHaveLength(1);
  });

  it('paid, write-back lost, card deleted before the retry or a manual trigger: PAID with the PaymentIntent made, never FAILED', async () => {
    const purchase = newPurchase(await customerWith('pm_card_visa'));
    api.failNext('updatePurchase', 503);
    expect((await sendCallback(serviceUrl, purchase)).status).toBe(503);
    const [first] = await intentsFor(purchase.id);
    // The payload is read at delivery time: the user removed the card meanwhile.
    const cardless = { ...purchase, user: { ...purchase.user, cardDetails: [] } };
    expect(await sendCallback(serviceUrl, cardless, { attempt: 2 })).toMatchObject({
      status: 200,
      body: { paid: purchase.id, paymentIntent: first!.id },
    });
    // triggerCallback: a new delivery, its first attempt.
    expect(await sendCallback(serviceUrl, cardless)).toMatchObject({
      status: 200,
      body: { paid: purchase.id, paymentIntent: first!.id },
    });
    expect(settlements(purchase.id)).toEqual([
      expect.objectContaining({ status: 'PAID', pi: first!.id }),
      expect.objectContaining({ status: 'PAID', pi: first!.id }),
    ]);
    expect(await intentsFor(purchase.id)).toHaveLength(1);
  });

  // The last three move Stripe's clock on by a day or more, for the rest of the file.
  it('a manual trigger over 24 h after a charge whose write-back was lost: the first PaymentIntent, not a second charge', async () => {
    const purchase = { ...newPurchase(await customerWith('pm_card_visa')), createdAt: hoursAgo(25) };
    api.failNext('updatePurchase', 503);
    expect((await sendCallback(serviceUrl, purchase, { createdAt: new Date(purchase.createdAt) })).status).toBe(503);
    const [first] = await intentsFor(purchase.id);
    await advanceStripeClock(25 * 3600);
    // triggerCallback makes a new delivery: its event is from now, the purchase from a day ago.
    expect(await sendCallback(serviceUrl, purchase, { createdAt: new Date() })).toMatchObject({
      status: 200,
      body: { paid: purchase.id, paymentIntent: first!.id },
    });
    expect(await intentsFor(purchase.id)).toHaveLength(1);
  });

  // Last: marks the service's Stripe client as "without search" for the rest of the file.
  it('no search, over 1,000 PaymentIntents of the account since, a redelivery after 24 h: the first PaymentIntent is found, none made twice', async () => {
    const purchase = { ...newPurchase(await customerWith('pm_card_visa')), createdAt: hoursAgo(25) };
    api.failNext('updatePurchase', 503);
    expect((await sendCallback(serviceUrl, purchase, { createdAt: new Date(purchase.createdAt) })).status).toBe(503);
    const [first] = await intentsFor(purchase.id);
    for (let batch = 0; batch < 21; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, () => stripe.paymentIntents.create({ amount: 100, currency: 'usd' })),
      );
    }
    await advanceStripeClock(25 * 3600);
    harness.gateway.answerNext('GET', '/v1/payment_intents/search', 5, 404, {
      type: 'invalid_request_error',
      message: 'Unrecognized request URL (GET: /v1/payment_intents/search).',
    });
    expect(
      await sendCallback(serviceUrl, purchase, { createdAt: new Date(purchase.createdAt), attempt: 20 }),
    ).toMatchObject({ status: 200, body: { paid: purchase.id, paymentIntent: first!.id } });
    expect(await intentsFor(purchase.id)).toHaveLength(1);
  }, 120_000);
});
