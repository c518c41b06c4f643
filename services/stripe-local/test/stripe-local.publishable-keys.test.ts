import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { publishableKeyOf } from '../index.js';
import { newKey, startEmulator, stripeError, type Emulator } from './support/harness.js';

// docs/keys: a publishable key identifies the account to Stripe.js; anything else is for the secret key.
const PUBLISHABLE_REFUSED =
  'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.';

describe('stripe-local: publishable keys (docs/keys)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  /** An account's secret-key client and its publishable-key client. */
  function keyPair() {
    const key = newKey();
    return { secret: emulator.stripe(key), publishable: emulator.stripe(publishableKeyOf(key)) };
  }

  it('pk_test_X is the publishable key of sk_test_X', () => {
    expect(publishableKeyOf('sk_test_abc123')).toBe('pk_test_abc123');
  });

  it("tokens and payment_methods create with the publishable key, into the secret key's account", async () => {
    const { secret, publishable } = keyPair();
    const token = await publishable.tokens.create({
      card: { number: '4242424242424242', exp_month: '12', exp_year: '2040', cvc: '123' },
    });
    expect(token.card?.last4).toBe('4242');
    const method = await publishable.paymentMethods.create({ type: 'card', card: { token: token.id } });
    expect((await secret.paymentMethods.retrieve(method.id)).id).toBe(method.id);
    const other = emulator.stripe();
    expect((await stripeError(other.paymentMethods.retrieve(method.id))).statusCode).toBe(404);
  });

  it("a secret-key endpoint answers the publishable key 401 with Stripe's message", async () => {
    const { publishable } = keyPair();
    for (const call of [
      publishable.customers.create({}),
      publishable.customers.list(),
      publishable.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      }),
      publishable.paymentMethods.attach('pm_card_visa', { customer: 'cus_x' }),
    ]) {
      expect(await stripeError(call)).toMatchObject({
        statusCode: 401,
        type: 'StripeAuthenticationError',
        message: PUBLISHABLE_REFUSED,
      });
    }
    const control = await emulator.raw('/v1/test_helpers/stripe_local/clock/advance', {
      key: publishableKeyOf(newKey()),
      body: 'seconds=60',
    });
    expect(control.status).toBe(401);
  });

  it('a PaymentIntent is retrieved and confirmed with the publishable key and its client_secret (api/payment_intents/retrieve)', async () => {
    const { secret, publishable } = keyPair();
    const intent = await secret.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const clientSecret = intent.client_secret!;
    const seen = await publishable.paymentIntents.retrieve(intent.id, { client_secret: clientSecret });
    expect(seen.status).toBe('requires_payment_method');
    const confirmed = await publishable.paymentIntents.confirm(intent.id, {
      payment_method: 'pm_card_visa',
      client_secret: clientSecret,
    } as Stripe.PaymentIntentConfirmParams);
    expect(confirmed.status).toBe('succeeded');
  });

  it('a PaymentIntent with the publishable key but no client_secret is 401, a wrong one 400', async () => {
    const { secret, publishable } = keyPair();
    const intent = await secret.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(await stripeError(publishable.paymentIntents.retrieve(intent.id))).toMatchObject({
      statusCode: 401,
      message: PUBLISHABLE_REFUSED,
    });
    const wrong = `${intent.id}_secret_wrong`;
    expect(
      await stripeError(
        publishable.paymentIntents.confirm(intent.id, {
          payment_method: 'pm_card_visa',
          client_secret: wrong,
        } as Stripe.PaymentIntentConfirmParams),
      ),
    ).toMatchObject({
      statusCode: 400,
      param: 'client_secret',
      message: 'The client_secret provided does not match the client_secret associated with the PaymentIntent.',
    });
    expect((await secret.paymentIntents.retrieve(intent.id)).status).toBe('requires_payment_method');
  });

  it('a SetupIntent is retrieved and confirmed with the publishable key and its client_secret', async () => {
    const { secret, publishable } = keyPair();
    const intent = await secret.setupIntents.create({
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const clientSecret = intent.client_secret!;
    expect((await publishable.setupIntents.retrieve(intent.id, { client_secret: clientSecret })).id).toBe(intent.id);
    const confirmed = await publishable.setupIntents.confirm(intent.id, {
      payment_method: 'pm_card_visa',
      client_secret: clientSecret,
    } as Stripe.SetupIntentConfirmParams);
    expect(confirmed.status).toBe('succeeded');
    expect(await stripeError(publishable.setupIntents.retrieve(intent.id))).toMatchObject({ statusCode: 401 });
    expect(
      await stripeError(publishable.setupIntents.retrieve(intent.id, { client_secret: `${intent.id}_secret_x` })),
    ).toMatchObject({
      statusCode: 400,
      message: 'The client_secret provided does not match the client_secret associated with the SetupIntent.',
    });
  });
});
