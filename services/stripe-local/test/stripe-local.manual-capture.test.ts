import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticationPage } from '../resources/next-action.js';
import { startEmulator, stripeError, type Emulator } from './support/harness.js';

const NO_REDIRECTS = { enabled: true, allow_redirects: 'never' } as const;
const authorizeOnly = (payment_method = 'pm_card_visa') =>
  ({
    amount: 5_000,
    currency: 'usd',
    payment_method,
    confirm: true,
    capture_method: 'manual',
    automatic_payment_methods: NO_REDIRECTS,
  }) as const;

/** The cardholder passes 3-D Secure on the emulator's page, as its form posts it. */
const passThreeDSecure = (action: Stripe.PaymentIntent['next_action']) =>
  fetch(authenticationPage(action), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ outcome: 'complete' }),
  });

const eventTypes = async (stripe: Stripe) =>
  (await stripe.events.list({ limit: 100 })).data.map((event) => event.type).reverse();

// docs/payments/place-a-hold-on-a-payment-method, api/payment_intents/capture and api/payment_intents/cancel.
describe('stripe-local: capture_method=manual', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it('api/payment_intents/create: capture_method defaults to automatic_async', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create({ amount: 500, currency: 'usd' });
    expect(intent.capture_method).toBe('automatic_async');
    expect(intent.payment_method_options?.card?.request_three_d_secure).toBe('automatic');
    const paid = await stripe.paymentIntents.create({ ...authorizeOnly(), capture_method: undefined });
    expect(paid).toMatchObject({ status: 'succeeded', amount_received: 5_000, amount_capturable: 0 });
  });

  it('authorizes only: requires_capture, amount_capturable, an uncaptured charge, payment_intent.amount_capturable_updated', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create(authorizeOnly());
    expect(intent).toMatchObject({
      status: 'requires_capture',
      capture_method: 'manual',
      amount_capturable: 5_000,
      amount_received: 0,
    });
    const charge = await stripe.charges.retrieve(intent.latest_charge as string);
    expect(charge).toMatchObject({ status: 'succeeded', paid: true, captured: false, amount_captured: 0 });
    const types = await eventTypes(stripe);
    expect(types).toContain('payment_intent.amount_capturable_updated');
    expect(types).not.toContain('payment_intent.succeeded');
  });

  it('capture in full: succeeded, amount_received, charge.captured then payment_intent.succeeded', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create(authorizeOnly());
    const captured = await stripe.paymentIntents.capture(intent.id);
    expect(captured).toMatchObject({ status: 'succeeded', amount_capturable: 0, amount_received: 5_000 });
    expect(await stripe.charges.retrieve(intent.latest_charge as string)).toMatchObject({
      captured: true,
      amount_captured: 5_000,
      amount_refunded: 0,
      refunded: false,
    });
    expect((await eventTypes(stripe)).slice(-2)).toEqual(['charge.captured', 'payment_intent.succeeded']);
    const again = await stripeError(stripe.paymentIntents.capture(intent.id));
    expect(again).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
  });

  it('capture of less (amount_to_capture): amount_received is what was captured, the rest released', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create(authorizeOnly());
    const tooMuch = await stripeError(stripe.paymentIntents.capture(intent.id, { amount_to_capture: 5_001 }));
    expect(tooMuch).toMatchObject({ statusCode: 400, param: 'amount_to_capture' });
    const captured = await stripe.paymentIntents.capture(intent.id, { amount_to_capture: 3_000 });
    expect(captured).toMatchObject({
      status: 'succeeded',
      amount: 5_000,
      amount_received: 3_000,
      amount_capturable: 0,
    });
    expect(await stripe.charges.retrieve(intent.latest_charge as string)).toMatchObject({
      captured: true,
      amount_captured: 3_000,
      amount_refunded: 2_000,
      refunded: false,
    });
  });

  it('cancel of an uncaptured intent: canceled with its cancellation_reason, the hold released, payment_intent.canceled', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create(authorizeOnly());
    const canceled = await stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'requested_by_customer' });
    expect(canceled).toMatchObject({
      status: 'canceled',
      cancellation_reason: 'requested_by_customer',
      amount_capturable: 0,
      amount_received: 0,
    });
    expect(await stripe.charges.retrieve(intent.latest_charge as string)).toMatchObject({
      captured: false,
      amount_captured: 0,
      amount_refunded: 5_000,
      refunded: true,
    });
    expect(await eventTypes(stripe)).toContain('payment_intent.canceled');
    expect(await stripeError(stripe.paymentIntents.capture(intent.id))).toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
  });

  it('a manual intent whose card asks for 3-D Secure waits for the cardholder, then holds the money', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create(authorizeOnly('pm_card_authenticationRequired'));
    expect(intent.status).toBe('requires_action');
    await passThreeDSecure(intent.next_action);
    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({
      status: 'requires_capture',
      amount_capturable: 5_000,
    });
  });
});

// docs/payments/3d-secure (request_three_d_secure) and docs/testing's 3D Secure cards.
describe('stripe-local: payment_method_options[card][request_three_d_secure]', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  const confirmWith = (stripe: Stripe, request: 'automatic' | 'any' | 'challenge', payment_method = 'pm_card_visa') =>
    stripe.paymentIntents.create({
      amount: 2_000,
      currency: 'usd',
      payment_method,
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
      payment_method_options: { card: { request_three_d_secure: request } },
    });

  it('automatic: a card that does not require 3-D Secure is charged without it', async () => {
    const intent = await confirmWith(emulator.stripe(), 'automatic');
    expect(intent).toMatchObject({
      status: 'succeeded',
      payment_method_options: { card: { request_three_d_secure: 'automatic' } },
    });
  });

  it.each(['any', 'challenge'] as const)(
    '%s: 3-D Secure is asked for on a card that supports it, and the payment succeeds once it passes',
    async (request) => {
      const stripe = emulator.stripe();
      const intent = await confirmWith(stripe, request);
      expect(intent).toMatchObject({
        status: 'requires_action',
        payment_method_options: { card: { request_three_d_secure: request } },
      });
      await passThreeDSecure(intent.next_action);
      const done = await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge'] });
      expect(done.status).toBe('succeeded');
      expect(done.latest_charge).toMatchObject({
        payment_method_details: { card: { three_d_secure: { result: 'authenticated' } } },
      });
    },
  );

  it('any: a card that does not support 3-D Secure (amex 378282246310005) is charged without it', async () => {
    expect((await confirmWith(emulator.stripe(), 'any', 'pm_card_amex')).status).toBe('succeeded');
  });

  it('set by update before confirming; an unknown value is 400 naming the parameter', async () => {
    const stripe = emulator.stripe();
    const open = await stripe.paymentIntents.create({
      amount: 2_000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      automatic_payment_methods: NO_REDIRECTS,
    });
    await stripe.paymentIntents.update(open.id, {
      payment_method_options: { card: { request_three_d_secure: 'any' } },
    });
    expect((await stripe.paymentIntents.confirm(open.id)).status).toBe('requires_action');
    const refused = await stripeError(
      stripe.paymentIntents.create({
        amount: 2_000,
        currency: 'usd',
        payment_method_options: { card: { request_three_d_secure: 'sometimes' as 'any' } },
      }),
    );
    expect(refused).toMatchObject({ statusCode: 400 });
    expect(refused.param).toContain('request_three_d_secure');
  });
});
