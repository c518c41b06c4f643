import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stripe } from '../lib/stripe-client.js';
import type { FakePaygraph } from '../../packages/testing/fake-paygraph.js';
import { sendCallback } from '../../packages/testing/send-callback.js';
import { authenticationPage } from '@paygraph/stripe-local';
import { startServiceHarness, TEST_RETURN_URL, type ServiceHarness } from '../../packages/testing/service-harness.js';
import { customersOfUser, untilSearchShows } from '../../packages/testing/stripe-lookups.js';
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

  type PayloadUser = {
    id: string;
    email: string;
    name: string;
    stripeId: string | null;
    cardDetails: { id: string; status: string }[];
  };
  /** The payload of createStripeCustomer in callbacks.yml: the card as it is at delivery time, and its user's cards. */
  const newCard = (cardToken: string, user?: PayloadUser) => {
    const n = randomUUID().slice(0, 8);
    const card = {
      id: `card_${n}`,
      cardToken,
      status: 'PENDING',
      stripePaymentMethodId: null as string | null,
      stripeSetupIntentId: null as string | null,
    };
    const owner = user ?? { id: `u_${n}`, email: `${n}@example.com`, name: 'Nilan', stripeId: null, cardDetails: [] };
    return { ...card, user: { ...owner, cardDetails: [...owner.cardDetails, { id: card.id, status: 'PENDING' }] } };
  };
  const defaultOf = async (customerId: string) =>
    ((await stripe.customers.retrieve(customerId)) as Stripe.Customer).invoice_settings.default_payment_method;
  /** The cardholder on the emulator's 3-D Secure page. */
  const authenticate = async (setupIntentId: string) => {
    const setup = await stripe.setupIntents.retrieve(setupIntentId);
    const page = await fetch(authenticationPage(setup.next_action), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'outcome=complete',
      redirect: 'manual',
    });
    // Back to the service's STRIPE_RETURN_URL, as the bank's page does.
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(new RegExp(`^${TEST_RETURN_URL}\\?`));
  };
  const customersOf = (userId: string) => customersOfUser(stripe, userId);
  const cardWrite = (cardId: string) => api.writes('updateCardDetails', cardId).at(-1);

  it("a first card: the user's customer, the card saved as its default PaymentMethod, stripeId then ACTIVE with brand and last four", async () => {
    const card = newCard('tok_visa');
    expect((await sendCallback(serviceUrl, card)).status).toBe(200);
    const [customer, ...others] = await customersOf(card.user.id);
    expect(others).toEqual([]);
    expect(api.writes('updateUser', card.user.id)).toEqual([{ id: card.user.id, stripeId: customer!.id }]);
    expect(cardWrite(card.id)).toMatchObject({
      status: 'ACTIVE',
      pm: expect.stringMatching(/^pm_/),
      brand: 'visa',
      last4: '4242',
    });
    expect(customer!.invoice_settings.default_payment_method).toBe(cardWrite(card.id)!.pm);
  });

  it('a second card joins the same customer and becomes its default; a redelivery changes nothing', async () => {
    const first = newCard('tok_visa');
    await sendCallback(serviceUrl, first);
    const [customer] = await customersOf(first.user.id);
    const second = newCard('pm_card_mastercard', {
      ...first.user,
      stripeId: customer!.id,
      cardDetails: [{ id: first.id, status: 'ACTIVE' }],
    });
    expect((await sendCallback(serviceUrl, second, { id: 'same' })).status).toBe(200);
    expect((await sendCallback(serviceUrl, second, { id: 'same', attempt: 2 })).status).toBe(200);
    const methods = await stripe.paymentMethods.list({ customer: customer!.id, type: 'card' });
    expect(methods.data).toHaveLength(2);
    expect(await defaultOf(customer!.id)).toBe(cardWrite(second.id)!.pm);
  });

  it.each(['tok_chargeDeclined', 'tok_chargeDeclinedExpiredCard'])(
    'a first card Stripe declines (%s): 200, REJECTED with the reason, no stripeId written',
    async (token) => {
      const card = newCard(token);
      expect((await sendCallback(serviceUrl, card)).status).toBe(200);
      expect(cardWrite(card.id)).toMatchObject({
        status: 'REJECTED',
        code: expect.any(String),
        message: expect.any(String),
      });
      expect(api.writes('updateUser', card.user.id)).toEqual([]);
    },
  );

  it('a card whose bank asks for 3-D Secure when saved: REQUIRES_ACTION with the SetupIntent and its client secret', async () => {
    const card = newCard('pm_card_authenticationRequiredOnSetup');
    expect((await sendCallback(serviceUrl, card)).status).toBe(200);
    expect(cardWrite(card.id)).toMatchObject({
      status: 'REQUIRES_ACTION',
      seti: expect.stringMatching(/^seti_/),
      secret: expect.stringContaining('_secret_'),
    });
  });

  it('its SetupIntent is valid at Stripe: no redirect-based methods, and 3-D Secure sends the cardholder back to STRIPE_RETURN_URL', async () => {
    const card = newCard('pm_card_authenticationRequiredOnSetup');
    expect((await sendCallback(serviceUrl, card)).status).toBe(200);
    const setup = await stripe.setupIntents.retrieve(cardWrite(card.id)!.seti as string);
    // Stripe refuses a confirm without return_url while redirects are allowed (changelog 2023-08-16).
    expect(setup.automatic_payment_methods).toEqual({ enabled: true, allow_redirects: 'never' });
    expect(setup.next_action).toMatchObject({
      type: 'redirect_to_url',
      redirect_to_url: { return_url: TEST_RETURN_URL },
    });
  });

  it('redelivered days later, after an attempt that saved the card but whose write-back failed: the spent token is not used again, the saved card is found', async () => {
    // A one-time token, as Stripe.js makes them: a second use is refused by Stripe. Made here from the
    // card's number, which a secret key may send only with raw card data enabled (docs/testing).
    await stripe.rawRequest('POST', '/v1/test_helpers/stripe_local/account/raw_card_data', { enabled: 'true' });
    const token = await stripe.tokens.create({
      card: { number: '4242424242424242', exp_month: '12', exp_year: '2040', cvc: '123' },
    });
    const card = newCard(token.id);
    api.failNext('updateUser', 503);
    expect((await sendCallback(serviceUrl, card)).status).toBe(503);
    await stripe.rawRequest('POST', '/v1/test_helpers/stripe_local/clock/advance', { seconds: 25 * 3_600 });
    const threeDaysLater = { createdAt: new Date(Date.now() - 3 * 86_400_000), attempt: 9 };
    expect((await sendCallback(serviceUrl, card, threeDaysLater)).status).toBe(200);
    const [customer] = await customersOf(card.user.id);
    const saved = await stripe.paymentMethods.list({ customer: customer!.id, type: 'card' });
    expect(saved.data).toHaveLength(1);
    expect(cardWrite(card.id)).toMatchObject({ status: 'ACTIVE', pm: saved.data[0]!.id, last4: '4242' });
  });

  it('redelivered once the card row holds its SetupIntent: the same card, nothing new at Stripe', async () => {
    const card = newCard('tok_visa');
    await sendCallback(serviceUrl, card);
    const written = cardWrite(card.id)!;
    const [customer] = await customersOf(card.user.id);
    const again = {
      ...card,
      status: 'ACTIVE',
      stripePaymentMethodId: written.pm as string,
      stripeSetupIntentId: written.seti as string,
      user: { ...card.user, stripeId: customer!.id },
    };
    expect((await sendCallback(serviceUrl, again, { createdAt: new Date(Date.now() - 3 * 86_400_000) })).status).toBe(
      200,
    );
    expect((await stripe.paymentMethods.list({ customer: customer!.id, type: 'card' })).data).toHaveLength(1);
    expect(cardWrite(card.id)).toMatchObject({ status: 'ACTIVE', pm: written.pm, seti: written.seti });
  });

  const detach = (card: { id: string }, ids: Record<string, string | null>) =>
    sendCallback(new URL('detach', serviceUrl).toString(), { id: card.id, ...ids }, { field: 'deletedNode' });
  const ownerOf = (pm: string) => stripe.paymentMethods.retrieve(pm).then((method) => method.customer);

  it('/detach of a card deleted before its ids were written back: found at Stripe by the owner, detached and no longer the default', async () => {
    const card = newCard('tok_visa');
    api.failNext('updateCardDetails', 503);
    expect((await sendCallback(serviceUrl, card)).status).toBe(503);
    const [customer] = await customersOf(card.user.id);
    const pm = (await defaultOf(customer!.id)) as string;
    // The owner's customer is found by search, which shows it once its lag has passed.
    await untilSearchShows(stripe, { userId: card.user.id });
    expect(pm).toMatch(/^pm_/);
    expect(
      await detach(card, { userId: card.user.id, stripePaymentMethodId: null, stripeSetupIntentId: null }),
    ).toMatchObject({ status: 200, body: { detached: pm } });
    expect(await ownerOf(pm)).toBeNull();
    expect(await defaultOf(customer!.id)).toBeNull();
  });

  it('/detach of a card waiting for 3-D Secure: its SetupIntent is canceled, so authenticating later cannot save it', async () => {
    const card = newCard('pm_card_authenticationRequiredOnSetup');
    await sendCallback(serviceUrl, card);
    const { pm, seti } = cardWrite(card.id) as { pm: string; seti: string };
    const page = authenticationPage((await stripe.setupIntents.retrieve(seti)).next_action);
    // As a callbacks.yml written before the payload carried the SetupIntent and the owner sends it.
    expect(await detach(card, { stripePaymentMethodId: pm })).toMatchObject({ status: 200, body: { canceled: seti } });
    expect(
      (
        await fetch(page, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'outcome=complete',
        })
      ).status,
    ).toBe(404);
    expect(await ownerOf(pm)).toBeNull();
  });

  it('a card deleted while it was being saved: the write-back finds it gone, and what was made at Stripe is detached or canceled', async () => {
    const card = newCard('tok_visa');
    api.refuseNext('updateCardDetails', 'NOT_FOUND');
    expect((await sendCallback(serviceUrl, card)).status).toBe(200);
    const [customer] = await customersOf(card.user.id);
    expect((await stripe.paymentMethods.list({ customer: customer!.id, type: 'card' })).data).toEqual([]);
    expect(await defaultOf(customer!.id)).toBeNull();

    const waiting = newCard('pm_card_authenticationRequiredOnSetup');
    api.refuseNext('updateCardDetails', 'NOT_FOUND');
    expect(await sendCallback(serviceUrl, waiting)).toMatchObject({
      status: 200,
      body: { canceled: expect.stringMatching(/^seti_/) },
    });
  });

  it('3-D Secure finished later (/setup-finished): the card becomes the default when it is the newest, not when a newer card is active', async () => {
    const first = newCard('pm_card_authenticationRequiredOnSetup');
    await sendCallback(serviceUrl, first);
    const [customer] = await customersOf(first.user.id);
    expect(await defaultOf(customer!.id)).toBeNull();
    await authenticate(cardWrite(first.id)!.seti as string);
    const finished = {
      ...first,
      status: 'ACTIVE',
      stripeSetupIntentId: cardWrite(first.id)!.seti as string,
      user: { ...first.user, stripeId: customer!.id, cardDetails: [{ id: first.id, status: 'ACTIVE' }] },
    };
    expect(
      await sendCallback(new URL('setup-finished', serviceUrl).toString(), finished, { field: 'updatedNode' }),
    ).toMatchObject({ status: 200, body: { active: first.id, default: true } });
    expect(await defaultOf(customer!.id)).toBe(cardWrite(first.id)!.pm);

    // A second such card, finished after a newer plain card was saved, leaves the newer one the default.
    const late = newCard('pm_card_authenticationRequiredOnSetup', finished.user);
    await sendCallback(serviceUrl, late);
    const newest = newCard('pm_card_mastercard', {
      ...late.user,
      cardDetails: [...late.user.cardDetails.slice(0, -1), { id: late.id, status: 'REQUIRES_ACTION' }],
    });
    await sendCallback(serviceUrl, newest);
    await authenticate(cardWrite(late.id)!.seti as string);
    const lateFinished = {
      ...late,
      status: 'ACTIVE',
      stripeSetupIntentId: cardWrite(late.id)!.seti as string,
      user: {
        ...newest.user,
        cardDetails: [
          { id: first.id, status: 'ACTIVE' },
          { id: late.id, status: 'ACTIVE' },
          { id: newest.id, status: 'ACTIVE' },
        ],
      },
    };
    expect(
      await sendCallback(new URL('setup-finished', serviceUrl).toString(), lateFinished, { field: 'updatedNode' }),
    ).toMatchObject({ status: 200, body: { default: false } });
    expect(await defaultOf(customer!.id)).toBe(cardWrite(newest.id)!.pm);
  });
});
