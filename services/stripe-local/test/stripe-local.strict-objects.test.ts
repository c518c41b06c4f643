import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, startEmulator, stripeError, type Emulator } from './support/harness.js';

const USED_UP =
  'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.';

describe('stripe-local: objects as strict as Stripe keeps them', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  type Client = ReturnType<Emulator['stripe']>;
  const cardPaymentMethod = (stripe: Client, token = 'tok_visa') =>
    stripe.paymentMethods.create({ type: 'card', card: { token } });
  /** A card payment of 5.00 with no redirects, confirmed unless `confirm: false`. */
  const pay = (stripe: Client, paymentMethod: string, extra: { customer?: string; confirm?: boolean } = {}) =>
    stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      payment_method: paymentMethod,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      confirm: true,
      ...extra,
    });

  describe('api/payment_methods: a PaymentMethod attached to no customer is single-use', () => {
    it('refuses a PaymentMethod already paid with on a PaymentIntent without a customer', async () => {
      const stripe = emulator.stripe();
      const paymentMethod = await cardPaymentMethod(stripe);
      const first = await pay(stripe, paymentMethod.id);
      expect(first.status).toBe('succeeded');
      const again = await stripeError(pay(stripe, paymentMethod.id));
      expect(again.statusCode).toBe(400);
      expect(again.type).toBe('StripeInvalidRequestError');
      expect(again.message).toBe(USED_UP);
      const customer = await stripe.customers.create();
      const attachAfterUse = await stripeError(
        stripe.paymentMethods.attach(paymentMethod.id, { customer: customer.id }),
      );
      expect(attachAfterUse.message).toBe(USED_UP);
    });

    it('refuses it after a declined payment too, and on the confirm of an intent that already held it', async () => {
      const stripe = emulator.stripe();
      const declined = await cardPaymentMethod(stripe, 'tok_chargeDeclined');
      await stripeError(pay(stripe, declined.id));
      const retry = await stripeError(pay(stripe, declined.id));
      expect(retry.message).toBe(USED_UP);

      const paymentMethod = await cardPaymentMethod(stripe);
      const waiting = await pay(stripe, paymentMethod.id, { confirm: false });
      await pay(stripe, paymentMethod.id);
      const confirm = await stripeError(stripe.paymentIntents.confirm(waiting.id));
      expect(confirm.message).toBe(USED_UP);
      expect(confirm.param).toBe('payment_method');
    });

    it('keeps a PaymentMethod attached to a customer reusable', async () => {
      const stripe = emulator.stripe();
      const customer = await stripe.customers.create();
      const paymentMethod = await cardPaymentMethod(stripe);
      await stripe.paymentMethods.attach(paymentMethod.id, { customer: customer.id });
      for (let i = 0; i < 2; i++) {
        const intent = await pay(stripe, paymentMethod.id, { customer: customer.id });
        expect(intent.status).toBe('succeeded');
      }
    });

    it('api/payment_methods/detach: a detached PaymentMethod can be neither attached again nor paid with', async () => {
      const stripe = emulator.stripe();
      const customer = await stripe.customers.create();
      const paymentMethod = await cardPaymentMethod(stripe);
      await stripe.paymentMethods.attach(paymentMethod.id, { customer: customer.id });
      await stripe.paymentMethods.detach(paymentMethod.id);
      const reattach = await stripeError(stripe.paymentMethods.attach(paymentMethod.id, { customer: customer.id }));
      expect(reattach.statusCode).toBe(400);
      expect(reattach.message).toBe(USED_UP);
      const payment = await stripeError(pay(stripe, paymentMethod.id, { confirm: false }));
      expect(payment.message).toBe(USED_UP);
      const setup = await stripeError(stripe.setupIntents.create({ payment_method: paymentMethod.id }));
      expect(setup.message).toBe(USED_UP);
    });
  });

  describe('api/customers/create: email, metadata and expand are checked as Stripe checks them', () => {
    it('answers email_invalid naming email for a malformed address, on create and on update', async () => {
      const stripe = emulator.stripe();
      const created = await stripeError(stripe.customers.create({ email: 'not-an-email' }));
      expect([created.statusCode, created.code, created.param]).toEqual([400, 'email_invalid', 'email']);
      expect(created.message).toBe('Invalid email address: not-an-email');
      const customer = await stripe.customers.create({ email: 'jenny@example.com' });
      const updated = await stripeError(stripe.customers.update(customer.id, { email: 'jenny@example' }));
      expect([updated.statusCode, updated.code, updated.param]).toEqual([400, 'email_invalid', 'email']);
      expect((await stripe.customers.retrieve(customer.id)) as { email: string }).toMatchObject({
        email: 'jenny@example.com',
      });
      expect((await stripe.customers.update(customer.id, { email: '' })).email).toBeNull();
    });

    it('stores metadata[__proto__], [constructor] and [prototype] as ordinary keys', async () => {
      const key = newKey();
      const stripe = emulator.stripe(key);
      const metadata = { __proto__: 'a', constructor: 'b', prototype: 'c', plain: 'd' };
      const response = await emulator.raw('/v1/customers', {
        key,
        body: new URLSearchParams(
          Object.entries(metadata).map(([key, value]) => [`metadata[${key}]`, value]),
        ).toString(),
      });
      expect(response.status).toBe(200);
      expect(Object.entries(response.json().metadata as object)).toEqual(Object.entries(metadata));
      const customer = await stripe.customers.create({ metadata: { plain: 'x' } });
      const updated = await emulator.raw(`/v1/customers/${customer.id}`, {
        key,
        body: 'metadata[__proto__]=polluted',
      });
      expect(Object.entries(updated.json().metadata as object)).toEqual([
        ['plain', 'x'],
        ['__proto__', 'polluted'],
      ]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('answers "Invalid array" naming expand when expand is not an array', async () => {
      const response = await emulator.raw('/v1/customers', { key: newKey(), body: 'expand=sources' });
      expect(response.status).toBe(400);
      expect(response.json().error).toMatchObject({
        type: 'invalid_request_error',
        message: 'Invalid array',
        param: 'expand',
      });
      const listed = await emulator.raw('/v1/customers', { key: newKey(), body: 'expand[]=sources' });
      expect(listed.status).toBe(200);
    });
  });

  describe('api/errors: a card error carries what Stripe puts in it', () => {
    it('names the declined PaymentMethod on a PaymentIntent confirm, with a request_log_url of the Dashboard', async () => {
      const stripe = emulator.stripe();
      const error = await stripeError(
        stripe.paymentIntents.create({
          amount: 500,
          currency: 'usd',
          payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          confirm: true,
        }),
      );
      expect(error.type).toBe('StripeCardError');
      expect(error.payment_method).toMatchObject({ object: 'payment_method', card: { last4: '9995' } });
      expect(error.payment_method?.id).toBe(error.payment_intent?.last_payment_error?.payment_method?.id);
      expect(error.raw).toMatchObject({
        request_log_url: expect.stringMatching(/^https:\/\/dashboard\.stripe\.com\/test\/logs\/req_\w+\?t=\d{10}$/),
      });
      expect((error.raw as { request_log_url: string }).request_log_url).toContain(error.requestId!);
    });

    it('names the declined PaymentMethod on a SetupIntent confirm', async () => {
      const stripe = emulator.stripe();
      const customer = await stripe.customers.create();
      const error = await stripeError(
        stripe.setupIntents.create({
          customer: customer.id,
          payment_method: 'pm_card_chargeDeclinedExpiredCard',
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          confirm: true,
        }),
      );
      expect([error.type, error.code]).toEqual(['StripeCardError', 'expired_card']);
      expect(error.payment_method).toMatchObject({ object: 'payment_method', type: 'card' });
      expect(error.payment_method?.id).toBe(error.setup_intent?.last_setup_error?.payment_method?.id);
    });
  });
});
