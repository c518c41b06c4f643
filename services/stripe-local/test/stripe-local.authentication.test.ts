import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticationPage } from '../resources/next-action.js';
import { startEmulator, stripeError, type Emulator } from './support/harness.js';

/** The cardholder's answer on the emulator's 3-D Secure page, as a browser form posts it. */
const answer = (url: string, outcome: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ outcome }),
    redirect: 'manual',
  });

/** A payment confirmed with a return_url on a card that asks for 3-D Secure: it waits for the cardholder. */
const waitingWithReturnUrl = (stripe: Stripe) =>
  stripe.paymentIntents.create({
    amount: 900,
    currency: 'usd',
    payment_method: 'pm_card_authenticationRequired',
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    return_url: 'https://shop.example/done',
  });

describe('stripe-local: 3-D Secure', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it('on-session without return_url: requires_action with use_stripe_sdk (api/payment_intents/object), not redirect_to_url; outcome=complete makes the intent succeed', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create({
      amount: 3_000,
      currency: 'eur',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(intent).toMatchObject({
      status: 'requires_action',
      next_action: {
        type: 'use_stripe_sdk',
        use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: expect.stringContaining(emulator.url) },
      },
    });
    expect(intent.next_action).not.toHaveProperty('redirect_to_url');
    const url = authenticationPage(intent.next_action);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="outcome" value="complete"');

    expect((await answer(url, 'complete')).status).toBe(200);
    const done = await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge'] });
    expect(done).toMatchObject({ status: 'succeeded', amount_received: 3_000, next_action: null });
    expect(done.latest_charge).toMatchObject({
      status: 'succeeded',
      payment_method_details: { card: { three_d_secure: { result: 'authenticated' } } },
    });
    expect((await stripe.events.list()).data.map((event) => event.type)).toEqual(
      expect.arrayContaining(['payment_intent.requires_action', 'charge.succeeded', 'payment_intent.succeeded']),
    );
    // The page is spent once answered.
    expect((await answer(url, 'complete')).status).toBe(404);
  });

  it('outcome=fail: back to requires_payment_method with payment_intent_authentication_failure', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create({
      amount: 3_000,
      currency: 'usd',
      payment_method: 'pm_card_threeDSecure2Required',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect((await answer(authenticationPage(intent.next_action), 'fail')).status).toBe(200);
    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({
      status: 'requires_payment_method',
      latest_charge: null,
      last_payment_error: { code: 'payment_intent_authentication_failure', type: 'invalid_request_error' },
    });
    expect((await stripe.events.list({ type: 'payment_intent.payment_failed' })).data).toHaveLength(1);
  });

  it('with return_url: redirect_to_url with that return_url, and answering redirects the cardholder back with the outcome', async () => {
    const stripe = emulator.stripe();
    const intent = await waitingWithReturnUrl(stripe);
    expect(intent.next_action).toMatchObject({
      type: 'redirect_to_url',
      redirect_to_url: { return_url: 'https://shop.example/done', url: expect.stringContaining(emulator.url) },
    });
    const response = await answer(authenticationPage(intent.next_action), 'complete');
    expect(response.status).toBe(303);
    const back = new URL(response.headers.get('location')!);
    expect(Object.fromEntries(back.searchParams)).toMatchObject({
      payment_intent: intent.id,
      redirect_status: 'succeeded',
    });
  });

  it("in Stripe.js's modal (?origin= the page's): answering tells that origin alone and stays put, return_url or not", async () => {
    const stripe = emulator.stripe();
    const intent = await waitingWithReturnUrl(stripe);
    const inModal = new URL(authenticationPage(intent.next_action));
    inModal.searchParams.set('origin', 'http://127.0.0.1:4000');
    expect(await (await fetch(inModal)).text()).toContain('event.origin !== "http://127.0.0.1:4000"');
    const response = await answer(inModal.href, 'complete');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(
      `parent.postMessage({ source: "stripe-local-3ds", type: 'done' }, "http://127.0.0.1:4000")`,
    );
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe('succeeded');
    // Anything but an http(s) origin is no opener: the page posts nothing.
    const spent = new URL(inModal);
    spent.searchParams.set('origin', 'javascript:alert(1)');
    expect(await (await fetch(spent)).text()).not.toContain('<script');
  });

  it('an outcome other than complete or fail: 400 and the intent still waits', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create({
      amount: 900,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect((await answer(authenticationPage(intent.next_action), 'maybe')).status).toBe(400);
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe('requires_action');
  });

  it('off-session: the authentication_required card error (402), the intent left in requires_payment_method', async () => {
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create({ payment_method: 'pm_card_authenticationRequired' });
    const [saved] = (await stripe.paymentMethods.list({ customer: customer.id })).data;
    const error = await stripeError(
      stripe.paymentIntents.create({
        amount: 1_000,
        currency: 'usd',
        customer: customer.id,
        payment_method: saved!.id,
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        off_session: true,
      }),
    );
    expect(error).toMatchObject({
      statusCode: 402,
      type: 'StripeCardError',
      code: 'authentication_required',
      decline_code: 'authentication_required',
    });
    const intent = (error.raw as { payment_intent: { id: string } }).payment_intent;
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe('requires_payment_method');
  });

  it('authenticationRequiredOnSetup: 3-D Secure once when saved by a SetupIntent, then off-session payments succeed', async () => {
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create({ email: 'saver@example.com' });
    const setup = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_authenticationRequiredOnSetup',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      usage: 'off_session',
    });
    expect(setup).toMatchObject({ status: 'requires_action', usage: 'off_session' });
    expect((await answer(authenticationPage(setup.next_action), 'complete')).status).toBe(200);
    const saved = await stripe.setupIntents.retrieve(setup.id);
    expect(saved.status).toBe('succeeded');
    expect(await stripe.paymentMethods.retrieve(saved.payment_method as string)).toMatchObject({
      customer: customer.id,
    });
    await stripe.customers.update(customer.id, {
      invoice_settings: { default_payment_method: saved.payment_method as string },
    });

    const later = await stripe.paymentIntents.create({
      amount: 1_999,
      currency: 'usd',
      customer: customer.id,
      payment_method: saved.payment_method as string,
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      off_session: true,
    });
    expect(later.status).toBe('succeeded');
    // On-session, the same card still asks.
    const present = await stripe.paymentIntents.create({
      amount: 1_999,
      currency: 'usd',
      customer: customer.id,
      payment_method: saved.payment_method as string,
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(present.status).toBe('requires_action');
    const types = (await stripe.events.list({ limit: 100 })).data.map((event) => event.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'setup_intent.requires_action',
        'setup_intent.succeeded',
        'payment_method.attached',
        'customer.updated',
      ]),
    );
  });

  it('authenticationRequired asks on every payment: saved with 3-D Secure, off-session still authentication_required', async () => {
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create({});
    const setup = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    await answer(authenticationPage(setup.next_action), 'complete');
    const { payment_method: paymentMethod } = await stripe.setupIntents.retrieve(setup.id);
    const error = await stripeError(
      stripe.paymentIntents.create({
        amount: 1_000,
        currency: 'usd',
        customer: customer.id,
        payment_method: paymentMethod as string,
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        off_session: true,
      }),
    );
    expect(error.code).toBe('authentication_required');
  });

  it('a SetupIntent with a card declined on attach: 402, setup_intent.setup_failed, nothing attached', async () => {
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create({});
    const error = await stripeError(
      stripe.setupIntents.create({
        customer: customer.id,
        payment_method: 'pm_card_chargeDeclined',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      }),
    );
    expect(error).toMatchObject({ statusCode: 402, code: 'card_declined' });
    const setup = (error.raw as { setup_intent: { id: string } }).setup_intent;
    expect(await stripe.setupIntents.retrieve(setup.id)).toMatchObject({
      status: 'requires_payment_method',
      last_setup_error: { code: 'card_declined' },
    });
    expect((await stripe.paymentMethods.list({ customer: customer.id })).data).toEqual([]);
    expect((await stripe.events.list({ type: 'setup_intent.setup_failed' })).data).toHaveLength(1);
  });
});
