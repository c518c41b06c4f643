import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, stripeError, type Emulator } from './support/harness.js';

// Stripe's changelog 2023-08-16 and docs/payments/payment-methods/integration-options: automatic
// payment methods are on unless `payment_method_types` is given, and such an intent needs a return_url.
const RETURN_URL_REQUIRED =
  /^A `return_url` must be specified because this (Payment|Setup) Intent is configured to automatically accept the payment methods enabled in the Dashboard/;
const AUTOMATIC = { enabled: true, allow_redirects: 'always' };
// Spread, not written inline: the SDK's pinned API version dropped the parameter from its types, and
// requests on earlier versions still send it.
const CARD_ONLY: object = { payment_method_types: ['card'] };

describe('stripe-local: automatic payment methods (API 2023-08-16)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it('a PaymentIntent without payment_method_types has automatic_payment_methods on; with them, null', async () => {
    const stripe = emulator.stripe();
    expect(await stripe.paymentIntents.create({ amount: 500, currency: 'usd' })).toMatchObject({
      automatic_payment_methods: AUTOMATIC,
      payment_method_types: ['card'],
    });
    const never = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(never.automatic_payment_methods).toEqual({ enabled: true, allow_redirects: 'never' });
    expect(await stripe.paymentIntents.create({ amount: 500, currency: 'usd', ...CARD_ONLY })).toMatchObject({
      automatic_payment_methods: null,
      ...CARD_ONLY,
    });
  });

  it('PaymentIntent confirm=true without return_url: 400 invalid_request_error, and no intent is made', async () => {
    const stripe = emulator.stripe();
    const error = await stripeError(
      stripe.paymentIntents.create({ amount: 500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true }),
    );
    expect(error).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    expect(error.message).toMatch(RETURN_URL_REQUIRED);
    expect((await stripe.paymentIntents.list()).data).toEqual([]);
  });

  it('PaymentIntent /confirm without return_url: 400; with return_url, allow_redirects=never or payment_method_types it succeeds', async () => {
    const stripe = emulator.stripe();
    const open = await stripe.paymentIntents.create({ amount: 500, currency: 'usd', payment_method: 'pm_card_visa' });
    const refused = await stripeError(stripe.paymentIntents.confirm(open.id));
    expect(refused).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    expect(refused.message).toMatch(RETURN_URL_REQUIRED);
    expect((await stripe.paymentIntents.retrieve(open.id)).status).toBe('requires_confirmation');
    expect((await stripe.paymentIntents.confirm(open.id, { return_url: 'https://shop.example/done' })).status).toBe(
      'succeeded',
    );

    const base = { amount: 500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true } as const;
    const never = await stripe.paymentIntents.create({
      ...base,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(never.status).toBe('succeeded');
    const typed = await stripe.paymentIntents.create({ ...base, ...CARD_ONLY, off_session: true });
    expect(typed).toMatchObject({ status: 'succeeded', automatic_payment_methods: null });
  });

  it('a SetupIntent: automatic by default, confirm without return_url is 400; payment_method_types or return_url make it succeed', async () => {
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create({});
    const base = { customer: customer.id, payment_method: 'pm_card_visa', confirm: true } as const;
    expect(await stripe.setupIntents.create({ customer: customer.id })).toMatchObject({
      automatic_payment_methods: AUTOMATIC,
      payment_method_types: ['card'],
    });
    const refused = await stripeError(stripe.setupIntents.create(base));
    expect(refused).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    expect(refused.message).toMatch(RETURN_URL_REQUIRED);
    expect((await stripe.setupIntents.list({ customer: customer.id })).data).toHaveLength(1);

    const open = await stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_visa' });
    expect((await stripeError(stripe.setupIntents.confirm(open.id))).message).toMatch(RETURN_URL_REQUIRED);
    expect((await stripe.setupIntents.confirm(open.id, { return_url: 'https://shop.example/done' })).status).toBe(
      'succeeded',
    );
    expect(await stripe.setupIntents.create({ ...base, ...CARD_ONLY })).toMatchObject({
      status: 'succeeded',
      automatic_payment_methods: null,
      payment_method_types: ['card'],
    });
    const never = await stripe.setupIntents.create({
      ...base,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(never.status).toBe('succeeded');
  });

  it('payment_method_types together with automatic_payment_methods[enabled]=true: 400', async () => {
    const error = await stripeError(
      emulator.stripe().paymentIntents.create({
        amount: 500,
        currency: 'usd',
        ...CARD_ONLY,
        automatic_payment_methods: { enabled: true },
      }),
    );
    expect(error).toMatchObject({ statusCode: 400, param: 'automatic_payment_methods' });
  });
});
