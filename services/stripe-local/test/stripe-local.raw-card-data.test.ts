import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { startEmulator, stripeError, type Emulator } from './support/harness.js';

const UNSAFE = /^Sending credit card numbers directly to the Stripe API is generally unsafe\./;
const NUMBER = { number: '4242424242424242', exp_month: '12', exp_year: '2040', cvc: '123' };
const PAYMENT_METHOD: Stripe.PaymentMethodCreateParams = {
  type: 'card',
  card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' },
};

// docs/testing: raw card numbers from a server are refused unless the account has raw card data APIs enabled,
// in test mode too; the emulator's per-account switch is the test-only control `account/raw_card_data`.
describe('stripe-local: raw card data', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it('a card number to tokens.create or payment_methods.create is 400 by default, and nothing is made', async () => {
    const stripe = emulator.stripe();
    const refusal = { statusCode: 400, type: 'StripeInvalidRequestError', message: expect.stringMatching(UNSAFE) };
    expect(await stripeError(stripe.tokens.create({ card: NUMBER } as Stripe.TokenCreateParams))).toMatchObject(
      refusal,
    );
    expect(await stripeError(stripe.paymentMethods.create(PAYMENT_METHOD))).toMatchObject(refusal);
    expect((await stripe.events.list()).data).toEqual([]);
    // Tokens and test ids are what Stripe suggests instead, and they still work.
    expect(await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } })).toMatchObject({
      card: { last4: '4242' },
    });
  });

  it('enabled for one account, that account sends numbers and another still cannot; disabled again, refused again', async () => {
    const [enabled, other] = [emulator.stripe(), emulator.stripe()];
    expect(await emulator.control(enabled, 'POST', 'account/raw_card_data', { enabled: 'true' })).toEqual({
      object: 'stripe_local.raw_card_data',
      enabled: true,
    });
    expect(await enabled.tokens.create({ card: NUMBER } as Stripe.TokenCreateParams)).toMatchObject({
      object: 'token',
      card: { last4: '4242' },
    });
    expect(await enabled.paymentMethods.create(PAYMENT_METHOD)).toMatchObject({
      object: 'payment_method',
      card: { last4: '4242' },
    });
    expect(await stripeError(other.tokens.create({ card: NUMBER } as Stripe.TokenCreateParams))).toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(UNSAFE),
    });
    await emulator.control(enabled, 'POST', 'account/raw_card_data', { enabled: 'false' });
    expect(await stripeError(enabled.tokens.create({ card: NUMBER } as Stripe.TokenCreateParams))).toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(UNSAFE),
    });
  });
});
