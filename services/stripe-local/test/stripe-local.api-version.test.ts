import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, startEmulator, startReceiver, stripeError, until, type Emulator } from './support/harness.js';

// docs/api/versioning and docs/upgrades: an account's default version, overridden per request by
// Stripe-Version; the two changes the emulator renders in both versions (changelog 2022-11-15, 2023-08-16).
const BEFORE_REFUNDS_CHANGE = '2022-08-01';
const BEFORE_AUTOMATIC_DEFAULT = '2022-11-15';
const AUTOMATIC_DEFAULT = '2023-08-16';
const RETURN_URL_REQUIRED = /^A `return_url` must be specified/;

describe('stripe-local: API versions (Stripe-Version)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it("an account's default is the version the stripe SDK pins; every answer names the version it used", async () => {
    expect((await emulator.stripe().customers.create()).lastResponse.apiVersion).toBe(Stripe.API_VERSION);
    expect((await emulator.stripe(newKey(), '2022-08-01').customers.create()).lastResponse.apiVersion).toBe(
      '2022-08-01',
    );
    const key = newKey();
    const plain = await emulator.raw('/v1/customers', { key, body: '' });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('stripe-version')).toBe(Stripe.API_VERSION);
    const asked = await emulator.raw('/v1/customers', { key, body: '', headers: { 'stripe-version': '2024-06-20' } });
    expect(asked.headers.get('stripe-version')).toBe('2024-06-20');
    // A named version by its date alone is that version.
    const dated = await emulator.raw('/v1/customers', { key, body: '', headers: { 'stripe-version': '2024-09-30' } });
    expect(dated.headers.get('stripe-version')).toBe('2024-09-30.acacia');
  });

  it('an unknown, misnamed or malformed Stripe-Version is 400 invalid_request_error, and nothing is made', async () => {
    const key = newKey();
    for (const version of ['2020-01-01', '2024-09-30.basil', 'latest', '2019-2-19']) {
      const answer = await emulator.raw('/v1/customers', { key, body: '', headers: { 'stripe-version': version } });
      expect(answer.status).toBe(400);
      expect(answer.json().error).toMatchObject({
        type: 'invalid_request_error',
        message: `Invalid Stripe API version: ${version}`,
      });
      expect(answer.headers.get('stripe-version')).toBe(Stripe.API_VERSION);
    }
    const error = await stripeError(emulator.stripe(key, '2030-01-01').customers.create());
    expect(error).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    expect((await emulator.stripe(key).customers.list()).data).toEqual([]);
  });

  it('the control sets the default of its account only; Stripe-Version still overrides it', async () => {
    const key = newKey();
    const old = emulator.stripe(key);
    expect(await emulator.control(old, 'POST', 'account/api_version', { version: BEFORE_AUTOMATIC_DEFAULT })).toEqual({
      object: 'stripe_local.api_version',
      version: BEFORE_AUTOMATIC_DEFAULT,
    });
    const refused = await stripeError(emulator.control(old, 'POST', 'account/api_version', { version: '2021-01-01' }));
    expect(refused).toMatchObject({ statusCode: 400, param: 'version' });
    const headers = (version?: string) => (version ? { 'stripe-version': version } : undefined);
    const create = (version?: string) =>
      emulator.raw('/v1/payment_intents', { key, body: 'amount=500&currency=usd', headers: headers(version) ?? {} });
    const byDefault = await create();
    expect(byDefault.headers.get('stripe-version')).toBe(BEFORE_AUTOMATIC_DEFAULT);
    expect(byDefault.json().automatic_payment_methods).toBe(null);
    expect((await create(AUTOMATIC_DEFAULT)).json().automatic_payment_methods).toEqual({
      enabled: true,
      allow_redirects: 'always',
    });
    // Another account keeps the SDK's version.
    const other = await emulator.raw('/v1/customers', { body: '' });
    expect(other.headers.get('stripe-version')).toBe(Stripe.API_VERSION);
  });

  describe('automatic payment methods by default (changelog 2023-08-16)', () => {
    it('before: an intent without payment_method_types is a card intent and confirms without return_url', async () => {
      const stripe = emulator.stripe(newKey(), BEFORE_AUTOMATIC_DEFAULT);
      const paid = await stripe.paymentIntents.create({
        amount: 700,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      expect(paid).toMatchObject({
        status: 'succeeded',
        automatic_payment_methods: null,
        payment_method_types: ['card'],
      });
      const setup = await stripe.setupIntents.create({ payment_method: 'pm_card_visa', confirm: true });
      expect(setup).toMatchObject({
        status: 'succeeded',
        automatic_payment_methods: null,
        payment_method_types: ['card'],
      });
    });

    it('from it on: automatic payment methods are on, and a confirm without return_url is 400', async () => {
      const stripe = emulator.stripe(newKey(), AUTOMATIC_DEFAULT);
      const open = await stripe.paymentIntents.create({ amount: 700, currency: 'usd', payment_method: 'pm_card_visa' });
      expect(open.automatic_payment_methods).toEqual({ enabled: true, allow_redirects: 'always' });
      expect((await stripeError(stripe.paymentIntents.confirm(open.id))).message).toMatch(RETURN_URL_REQUIRED);
      const setup = stripe.setupIntents.create({ payment_method: 'pm_card_visa', confirm: true });
      expect((await stripeError(setup)).message).toMatch(RETURN_URL_REQUIRED);
    });
  });

  describe('charge.refunds only when expanded (changelog 2022-11-15)', () => {
    it('before: every charge lists its refunds and a PaymentIntent its charges, expanded or not', async () => {
      const key = newKey();
      const stripe = emulator.stripe(key, BEFORE_REFUNDS_CHANGE);
      const paid = await stripe.paymentIntents.create({
        amount: 900,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      const refund = await stripe.refunds.create({ payment_intent: paid.id, amount: 300 });
      const charge = await stripe.charges.retrieve(paid.latest_charge as string);
      expect(charge.refunds).toMatchObject({ object: 'list', data: [{ id: refund.id, amount: 300 }] });
      const listed = (await stripe.charges.list({ payment_intent: paid.id })).data[0]!;
      expect(listed.refunds?.data.map((each) => each.id)).toEqual([refund.id]);
      const intent = (await stripe.paymentIntents.retrieve(paid.id)) as unknown as {
        charges: Stripe.ApiList<Stripe.Charge>;
      };
      expect(intent.charges.data).toMatchObject([{ id: charge.id, refunds: { data: [{ id: refund.id }] } }]);
      // The same objects on today's version: no refunds, no charges.
      const today = emulator.stripe(key);
      expect('refunds' in (await today.charges.retrieve(charge.id))).toBe(false);
      expect('charges' in (await today.paymentIntents.retrieve(paid.id))).toBe(false);
    });

    it('from it on: refunds only with expand[]=refunds', async () => {
      const stripe = emulator.stripe(newKey(), '2022-11-15');
      const paid = await stripe.paymentIntents.create({
        amount: 900,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      await stripe.refunds.create({ payment_intent: paid.id });
      const chargeId = paid.latest_charge as string;
      expect('refunds' in (await stripe.charges.retrieve(chargeId))).toBe(false);
      expect((await stripe.charges.retrieve(chargeId, { expand: ['refunds'] })).refunds?.data).toHaveLength(1);
    });
  });

  it("events carry the account's version; an endpoint made with api_version gets its events in that version", async () => {
    const [ofAccount, pinned] = [await startReceiver(), await startReceiver()];
    try {
      const stripe = emulator.stripe();
      await emulator.control(stripe, 'POST', 'account/api_version', { version: '2024-06-20' });
      await stripe.webhookEndpoints.create({ url: ofAccount.url, enabled_events: ['charge.refunded'] });
      const endpoint = await stripe.webhookEndpoints.create({
        url: pinned.url,
        enabled_events: ['charge.refunded'],
        api_version: BEFORE_REFUNDS_CHANGE,
      });
      expect(endpoint.api_version).toBe(BEFORE_REFUNDS_CHANGE);
      const refused = stripe.webhookEndpoints.create({
        url: pinned.url,
        enabled_events: ['*'],
        api_version: '2021-13-01' as Stripe.WebhookEndpointCreateParams.ApiVersion,
      });
      expect(await stripeError(refused)).toMatchObject({ statusCode: 400, param: 'api_version' });
      const paid = await stripe.paymentIntents.create({
        amount: 400,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        return_url: 'https://shop.example/done',
      });
      await stripe.refunds.create({ payment_intent: paid.id });
      await until(() => ofAccount.received.length === 1 && pinned.received.length === 1, 'both deliveries');
      const [plain] = ofAccount.events();
      const [old] = pinned.events();
      expect(plain).toMatchObject({ api_version: '2024-06-20', type: 'charge.refunded' });
      expect('refunds' in (plain!.data.object as object)).toBe(false);
      expect(old).toMatchObject({ id: plain!.id, api_version: BEFORE_REFUNDS_CHANGE });
      expect((old!.data.object as Stripe.Charge).refunds?.data).toHaveLength(1);
      // Signed as sent to it: the SDK verifies the version it received.
      const { body, headers } = pinned.received[0]!;
      expect(stripe.webhooks.constructEvent(body, headers['stripe-signature'] as string, endpoint.secret!).id).toBe(
        plain!.id,
      );
      // /v1/events answers in the account's version.
      expect((await stripe.events.retrieve(plain!.id)).api_version).toBe('2024-06-20');
    } finally {
      await Promise.all([ofAccount.close(), pinned.close()]);
    }
  });
});
