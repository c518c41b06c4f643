import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stripe } from '../lib/stripe-client.js';
import type { FakePaygraph } from '../lib/test-support/fake-paygraph.js';
import { sendCallback } from '../lib/test-support/send-callback.js';
import { startServiceHarness, type ServiceHarness } from '../lib/test-support/service-harness.js';
import { createCustomerHandler } from './index.js';

const TOKEN = 'pgt_create_customer_test';

// The service between a real Stripe stand-in (behind a gateway a test can take down) and a fake
// Paygraph API that records the write-backs; what is asserted is what Stripe holds and what was written.
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

  /** The payload of createStripeCustomer in callbacks.yml, for a new user unless stripeId is given. */
  const newCard = (cardToken: string, user?: { id: string; email: string; name: string; stripeId: string }) => {
    const n = randomUUID().slice(0, 8);
    return { id: `cd_${n}`, cardToken, user: user ?? { id: `u_${n}`, email: `user-${n}@example.com`, name: `User ${n}`, stripeId: null } };
  };
  const customersOf = async (email: string) => (await stripe.customers.list({ email, limit: 100 })).data;
  const cardStatus = (cardId: string) => api.writes('updateCardDetails', cardId).at(-1);
  const stripeIdWrites = (userId: string) => api.writes('updateUser', userId);
  /** A user who already went through the tutorial once: their customer exists and is known. */
  const existingCustomer = async () => {
    const card = newCard('tok_visa');
    expect((await sendCallback(serviceUrl, card)).status).toBe(200);
    const [customer] = await customersOf(card.user.email);
    return { ...card.user, stripeId: customer!.id, defaultSource: customer!.default_source as string };
  };

  it('a first card creates the Stripe customer with it, writes stripeId back, then marks the card ACTIVE', async () => {
    const card = newCard('tok_visa');
    const response = await sendCallback(serviceUrl, card);
    expect(response.status).toBe(200);

    const customers = await customersOf(card.user.email);
    expect(customers).toHaveLength(1);
    const customer = customers[0]!;
    expect(customer.metadata).toMatchObject({ userId: card.user.id });
    const source = await stripe.customers.retrieveSource(customer.id, customer.default_source as string);
    expect(source).toMatchObject({ object: 'card', brand: 'Visa' });

    expect(stripeIdWrites(card.user.id)).toEqual([{ id: card.user.id, stripeId: customer.id }]);
    expect(cardStatus(card.id)).toMatchObject({ status: 'ACTIVE' });
    // stripeId is written before ACTIVE: an ACTIVE card always has a customer to charge.
    const order = api.mutations.filter((m) => m.variables.id === card.user.id || m.variables.id === card.id).map((m) => m.field);
    expect(order).toEqual(['updateUser', 'updateCardDetails']);
  });

  it('the same delivery twice makes one customer', async () => {
    const card = newCard('tok_visa');
    const id = `dlv_${randomUUID()}`;
    expect((await sendCallback(serviceUrl, card, { id })).status).toBe(200);
    expect((await sendCallback(serviceUrl, card, { id, attempt: 2 })).status).toBe(200);
    const customers = await customersOf(card.user.email);
    expect(customers).toHaveLength(1);
    expect(new Set(stripeIdWrites(card.user.id).map((write) => write.stripeId))).toEqual(new Set([customers[0]!.id]));
  });

  it('a second card is attached to the same customer and becomes its default', async () => {
    const user = await existingCustomer();
    const second = newCard('tok_mastercard', user);
    expect((await sendCallback(serviceUrl, second)).status).toBe(200);

    const customers = await customersOf(user.email);
    expect(customers.map((c) => c.id)).toEqual([user.stripeId]);
    const customer = (await stripe.customers.retrieve(user.stripeId, { expand: ['sources'] })) as Stripe.Customer;
    expect(customer.default_source).not.toBe(user.defaultSource);
    expect(await stripe.customers.retrieveSource(user.stripeId, customer.default_source as string)).toMatchObject({ brand: 'MasterCard' });
    expect(customer.sources?.data.map((source) => (source as Stripe.Card).brand).sort()).toEqual(['MasterCard', 'Visa']);
    expect(stripeIdWrites(user.id)).toHaveLength(1);
    expect(cardStatus(second.id)).toMatchObject({ status: 'ACTIVE' });
  });

  // Measured: the stand-in declines these when the customer is created with the card, as Stripe does
  // for cards that fail the attach-time check, so no customer exists afterwards.
  it.each([
    ['tok_chargeDeclined', 'card_declined', /^Your card was declined\.$/],
    ['tok_chargeDeclinedInsufficientFunds', 'card_declined', /insufficient funds/],
    ['tok_chargeDeclinedExpiredCard', 'expired_card', /expired/],
    ['tok_chargeDeclinedIncorrectCvc', 'incorrect_cvc', /security code/],
  ])('a first card Stripe declines (%s): 200, card REJECTED with the reason, no customer, no stripeId', async (token, code, message) => {
    const card = newCard(token);
    expect(await sendCallback(serviceUrl, card)).toMatchObject({ status: 200, body: { rejected: card.id, reason: code } });
    expect(cardStatus(card.id)).toEqual({ id: card.id, status: 'REJECTED', code, message: expect.stringMatching(message) });
    expect(await customersOf(card.user.email)).toEqual([]);
    expect(stripeIdWrites(card.user.id)).toEqual([]);
  });

  it('a second card Stripe declines is REJECTED and the default card stays', async () => {
    const user = await existingCustomer();
    const declined = newCard('tok_chargeDeclinedInsufficientFunds', user);
    expect((await sendCallback(serviceUrl, declined)).status).toBe(200);
    expect(cardStatus(declined.id)).toMatchObject({ status: 'REJECTED', code: 'card_declined' });
    expect((await stripe.customers.retrieve(user.stripeId)) as Stripe.Customer).toMatchObject({ default_source: user.defaultSource });
  });

  it('a card token Stripe does not know is REJECTED (resource_missing), with no customer', async () => {
    const card = newCard('tok_neverIssued');
    expect((await sendCallback(serviceUrl, card)).status).toBe(200);
    expect(cardStatus(card.id)).toEqual({ id: card.id, status: 'REJECTED', code: 'resource_missing', message: "No such token: 'tok_neverIssued'" });
    expect(await customersOf(card.user.email)).toEqual([]);
  });

  it('Stripe unreachable: 503 and nothing written; the redelivery once it is back creates the customer', async () => {
    const card = newCard('tok_visa');
    const id = `dlv_${randomUUID()}`;
    harness.gateway.down = true;
    try {
      const response = await sendCallback(serviceUrl, card, { id });
      expect(response.status).toBe(503);
      expect(response.body.error).toMatch(/^Stripe unavailable/);
    } finally {
      harness.gateway.down = false;
    }
    expect(api.mutations.filter((m) => m.variables.id === card.id || m.variables.id === card.user.id)).toEqual([]);

    expect((await sendCallback(serviceUrl, card, { id, attempt: 2 })).status).toBe(200);
    expect(await customersOf(card.user.email)).toHaveLength(1);
    expect(cardStatus(card.id)).toMatchObject({ status: 'ACTIVE' });
  });

  it('the stripeId write-back fails: 503, and the redelivery reuses the customer already made', async () => {
    const card = newCard('tok_visa');
    const id = `dlv_${randomUUID()}`;
    api.failNext('updateUser', 503);
    expect((await sendCallback(serviceUrl, card, { id })).status).toBe(503);
    const [customer, ...others] = await customersOf(card.user.email);
    expect(others).toEqual([]);
    expect(stripeIdWrites(card.user.id)).toEqual([]);

    expect((await sendCallback(serviceUrl, card, { id, attempt: 2 })).status).toBe(200);
    expect(await customersOf(card.user.email)).toHaveLength(1);
    expect(stripeIdWrites(card.user.id)).toEqual([{ id: card.user.id, stripeId: customer!.id }]);
    expect(cardStatus(card.id)).toMatchObject({ status: 'ACTIVE' });
  });

  it('ACTIVE fails after stripeId was written: the redelivery, which now carries stripeId, does not add the card twice', async () => {
    const card = newCard('tok_visa');
    const id = `dlv_${randomUUID()}`;
    api.failNext('updateCardDetails', 503);
    expect((await sendCallback(serviceUrl, card, { id })).status).toBe(503);
    const [write] = stripeIdWrites(card.user.id);
    const stripeId = write!.stripeId as string;

    // The payload is read at delivery time, so the retry sees the stripeId written by the first attempt.
    const redelivered = { ...card, user: { ...card.user, stripeId } };
    expect((await sendCallback(serviceUrl, redelivered, { id, attempt: 2 })).status).toBe(200);
    const customer = (await stripe.customers.retrieve(stripeId, { expand: ['sources'] })) as Stripe.Customer;
    expect(customer.sources?.data).toHaveLength(1);
    expect(cardStatus(card.id)).toMatchObject({ status: 'ACTIVE' });
  });

  it('a token without the customers:write scope: 500 (retried until fixed), nothing marked', async () => {
    const card = newCard('tok_visa');
    api.refuseNext('updateUser', 'FORBIDDEN');
    const response = await sendCallback(serviceUrl, card);
    expect(response).toMatchObject({ status: 500, body: { error: expect.stringContaining('FORBIDDEN') } });
    expect(cardStatus(card.id)).toBeUndefined();
  });

  it.each([
    ['forged', { tamper: (body: string) => body.replace('tok_visa', 'tok_amex') }],
    ['signed with another secret', { secret: `whsec_${Buffer.from('not-the-paygraph-signing-secret!').toString('base64')}` }],
    ['stale', { timestamp: new Date(Date.now() - 10 * 60_000) }],
    ['unsigned', { unsigned: true }],
  ])('a %s callback: 401, no customer, nothing written, no stack in the answer', async (_case, options) => {
    const card = newCard('tok_visa');
    const response = await sendCallback(serviceUrl, card, options);
    expect(response.status).toBe(401);
    expect(response.body.error).toMatch(/^Callback signature rejected/);
    expect(response.text).not.toMatch(/\n\s+at /);
    expect(await customersOf(card.user.email)).toEqual([]);
    expect(api.mutations.filter((m) => m.variables.id === card.id || m.variables.id === card.user.id)).toEqual([]);
  });

  it('card details deleted before delivery: 200 and nothing done', async () => {
    expect(await sendCallback(serviceUrl, null)).toMatchObject({ status: 200, body: { skipped: 'the node no longer exists' } });
  });

  it('a signed payload that is not card details: 400 (not retried), nothing done', async () => {
    const response = await sendCallback(serviceUrl, { id: 'cd_x', amount: 100 });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/cardToken/);
  });
});
