import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stripe } from '../lib/stripe-client.js';
import type { FakePaygraph } from '../lib/test-support/fake-paygraph.js';
import { sendCallback } from '../lib/test-support/send-callback.js';
import { startServiceHarness, type ServiceHarness } from '../lib/test-support/service-harness.js';
import { createCustomerHandler } from './index.js';

const TOKEN = 'pgt_create_customer_test';

describe('create-customer', () => {
  let harness: ServiceHarness;
  let api: FakePaygraph;
  let stripe: Stripe;
  let serviceUrl: string;
  beforeAll(async () => {
    harness = await startServiceHarness(createCustomerHandler, TOKEN);
    ({ api, stripe, url: serviceUrl } = harness);
  });
  afterAll(() => harness?.stop());

  /** The payload of createStripeCustomer in callbacks.yml. */
  const newCard = (cardToken: string, user?: { id: string; email: string; name: string; stripeId: string | null }) => {
    const n = randomUUID().slice(0, 8);
    return { id: `card_${n}`, cardToken, user: user ?? { id: `u_${n}`, email: `${n}@example.com`, name: 'Nilan', stripeId: null } };
  };
  const customersOf = async (userId: string) => (await stripe.customers.search({ query: `metadata['userId']:'${userId}'` })).data;
  const cardWrite = (cardId: string) => api.writes('updateCardDetails', cardId).at(-1);

  it('a first card: the user\'s customer, the card saved as its default PaymentMethod, stripeId then ACTIVE with brand and last four', async () => {
    const card = newCard('tok_visa');
    expect((await sendCallback(serviceUrl, card)).status).toBe(200);
    const [customer, ...others] = await customersOf(card.user.id);
    expect(others).toEqual([]);
    expect(api.writes('updateUser', card.user.id)).toEqual([{ id: card.user.id, stripeId: customer!.id }]);
    expect(cardWrite(card.id)).toMatchObject({ status: 'ACTIVE', pm: expect.stringMatching(/^pm_/), brand: 'visa', last4: '4242' });
    expect(customer!.invoice_settings.default_payment_method).toBe(cardWrite(card.id)!.pm);
  });

  it('a second card joins the same customer and becomes its default; a redelivery changes nothing', async () => {
    const first = newCard('tok_visa');
    await sendCallback(serviceUrl, first);
    const [customer] = await customersOf(first.user.id);
    const second = newCard('pm_card_mastercard', { ...first.user, stripeId: customer!.id });
    expect((await sendCallback(serviceUrl, second, { id: 'same' })).status).toBe(200);
    expect((await sendCallback(serviceUrl, second, { id: 'same', attempt: 2 })).status).toBe(200);
    const methods = await stripe.paymentMethods.list({ customer: customer!.id, type: 'card' });
    expect(methods.data).toHaveLength(2);
    expect(((await stripe.customers.retrieve(customer!.id)) as Stripe.Customer).invoice_settings.default_payment_method).toBe(cardWrite(second.id)!.pm);
  });

  it.each(['tok_chargeDeclined', 'tok_chargeDeclinedExpiredCard'])('a first card Stripe declines (%s): 200, REJECTED with the reason, no stripeId written', async (token) => {
    const card = newCard(token);
    expect((await sendCallback(serviceUrl, card)).status).toBe(200);
    expect(cardWrite(card.id)).toMatchObject({ status: 'REJECTED', code: expect.any(String), message: expect.any(String) });
    expect(api.writes('updateUser', card.user.id)).toEqual([]);
  });

  it('a card whose bank asks for 3-D Secure when saved: REQUIRES_ACTION with the SetupIntent and its client secret', async () => {
    const card = newCard('pm_card_authenticationRequiredOnSetup');
    expect((await sendCallback(serviceUrl, card)).status).toBe(200);
    expect(cardWrite(card.id)).toMatchObject({ status: 'REQUIRES_ACTION', seti: expect.stringMatching(/^seti_/), secret: expect.stringContaining('_secret_') });
  });
});
