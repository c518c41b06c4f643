import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, startEmulator, startReceiver, stripeError, until, type Emulator } from './support/harness.js';

/**
 * Issue 25, "what passes against the local Stripe passes against Stripe": each behaviour Stripe documents
 * that the emulator once got wrong, with the page it comes from, and a short check of it through the
 * official SDK. The detailed tests live beside (stripe-local.<area>.test.ts); this is the list.
 */
interface Behaviour {
  item: string;
  behaviour: string;
  docs: string;
  check(stripe: Stripe, emulator: Emulator, key: string): Promise<void>;
}

const LAG_MS = 1_000;
const RETURN_URL = 'https://shop.example/done';
const NEVER = { enabled: true, allow_redirects: 'never' } as const;
const pay = (stripe: Stripe, paymentMethod: string, extra: Partial<Stripe.PaymentIntentCreateParams> = {}) =>
  stripe.paymentIntents.create({
    amount: 2_000,
    currency: 'usd',
    payment_method: paymentMethod,
    confirm: true,
    return_url: RETURN_URL,
    ...extra,
  });

const BEHAVIOURS: Behaviour[] = [
  {
    item: '1',
    behaviour: 'automatic payment methods on by default; a confirm without return_url is 400',
    docs: 'https://docs.stripe.com/upgrades#2023-08-16',
    async check(stripe) {
      const intent = await stripe.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        payment_method: 'pm_card_visa',
      });
      expect(intent.automatic_payment_methods).toEqual({ enabled: true, allow_redirects: 'always' });
      expect((await stripeError(stripe.paymentIntents.confirm(intent.id))).message).toMatch(/^A `return_url` must/);
    },
  },
  {
    item: '2',
    behaviour: 'raw card numbers from a server are refused unless the account may send them',
    docs: 'https://docs.stripe.com/testing#cards',
    async check(stripe) {
      const sent = stripe.tokens.create({ card: { number: '4242424242424242', exp_month: '12', exp_year: '2040' } });
      expect((await stripeError(sent)).message).toMatch(/^Sending credit card numbers directly/);
    },
  },
  {
    item: '3',
    behaviour: 'a PaymentMethod paid with while attached to nobody, or detached, cannot be used again',
    docs: 'https://docs.stripe.com/api/payment_methods/detach',
    async check(stripe) {
      const { payment_method } = await pay(stripe, 'pm_card_visa');
      expect((await stripeError(pay(stripe, payment_method as string))).statusCode).toBe(400);
    },
  },
  {
    item: '4',
    behaviour: 'a request refused for its parameters saves no idempotent result; the corrected retry runs',
    docs: 'https://docs.stripe.com/api/idempotent_requests',
    async check(stripe) {
      const idempotencyKey = newKey();
      const wrong = stripe.customers.create({ email: 'a@b.co', nonsense: 1 } as never, { idempotencyKey });
      expect((await stripeError(wrong)).code).toBe('parameter_unknown');
      expect((await stripe.customers.create({ email: 'a@b.co' }, { idempotencyKey })).email).toBe('a@b.co');
    },
  },
  {
    item: '5',
    behaviour: 'charge.refunds only when expanded (expand[]=refunds works)',
    docs: 'https://docs.stripe.com/upgrades#2022-11-15',
    async check(stripe) {
      const charge = (await pay(stripe, 'pm_card_visa')).latest_charge as string;
      expect('refunds' in (await stripe.charges.retrieve(charge))).toBe(false);
      expect((await stripe.charges.retrieve(charge, { expand: ['refunds'] })).refunds?.object).toBe('list');
    },
  },
  {
    item: '6',
    behaviour: 'a 3-D Secure confirm without return_url gives next_action use_stripe_sdk',
    docs: 'https://docs.stripe.com/api/payment_intents/object#payment_intent_object-next_action',
    async check(stripe) {
      const intent = await pay(stripe, 'pm_card_threeDSecure2Required', {
        return_url: undefined,
        automatic_payment_methods: NEVER,
      });
      expect(intent.next_action?.type).toBe('use_stripe_sdk');
    },
  },
  {
    item: '7',
    behaviour: "test ids as docs/testing spells them; Radar's always-blocked card is blocked, risk highest",
    docs: 'https://docs.stripe.com/radar/testing',
    async check(stripe) {
      const refused = await stripeError(pay(stripe, 'pm_card_radarBlock'));
      const charge = await stripe.charges.retrieve((refused.raw as { charge: string }).charge);
      expect(charge.outcome).toMatchObject({ type: 'blocked', risk_level: 'highest' });
      expect((await stripeError(pay(stripe, 'pm_card_visa_chargeDeclinedLostCard'))).decline_code).toBe('lost_card');
    },
  },
  {
    item: '8',
    behaviour: 'email_invalid for a malformed email; expand that is not an array names expand',
    docs: 'https://docs.stripe.com/api/customers/create',
    async check(stripe, emulator, key) {
      expect((await stripeError(stripe.customers.create({ email: 'not an email' }))).code).toBe('email_invalid');
      const answer = await emulator.raw('/v1/customers', { key, body: 'expand=sources' });
      expect(answer.json().error).toMatchObject({ param: 'expand', message: 'Invalid array' });
    },
  },
  {
    item: '9',
    behaviour: "a card error carries the declined payment_method; request_log_url has Stripe's shape",
    docs: 'https://docs.stripe.com/api/errors',
    async check(stripe) {
      const error = await stripeError(pay(stripe, 'pm_card_chargeDeclined'));
      expect(error.payment_method?.object).toBe('payment_method');
      expect((error.raw as { request_log_url: string }).request_log_url).toMatch(
        /^https:\/\/dashboard\.stripe\.com\/test\/logs\/req_\w+\?t=\d+$/,
      );
    },
  },
  {
    item: '10',
    behaviour: 'Stripe-Version honoured (an unknown one is 400) and named in the answer; objects in its shape',
    docs: 'https://docs.stripe.com/api/versioning',
    async check(_stripe, emulator, key) {
      const old = await emulator.stripe(key, '2022-08-01').paymentIntents.create({ amount: 500, currency: 'usd' });
      expect(old.automatic_payment_methods).toBe(null);
      expect(old.lastResponse.apiVersion).toBe('2022-08-01');
      const unknown = await emulator.raw('/v1/customers', {
        key,
        body: '',
        headers: { 'stripe-version': '2020-01-01' },
      });
      expect(unknown.status).toBe(400);
    },
  },
  {
    item: '11',
    behaviour: 'capture_method=manual holds, then captures less; the default is automatic_async',
    docs: 'https://docs.stripe.com/payments/place-a-hold-on-a-payment-method',
    async check(stripe) {
      expect((await pay(stripe, 'pm_card_visa')).capture_method).toBe('automatic_async');
      const held = await pay(stripe, 'pm_card_visa', { capture_method: 'manual' });
      expect(held).toMatchObject({ status: 'requires_capture', amount_capturable: 2_000 });
      const captured = await stripe.paymentIntents.capture(held.id, { amount_to_capture: 1_500 });
      expect(captured).toMatchObject({ status: 'succeeded', amount_received: 1_500 });
    },
  },
  {
    item: '12',
    behaviour: 'a publishable key works where Stripe.js uses it and is 401 elsewhere',
    docs: 'https://docs.stripe.com/keys',
    async check(_stripe, emulator, key) {
      const publishable = emulator.stripe(key.replace(/^sk_/, 'pk_'));
      const card = { number: '4242424242424242', exp_month: '12', exp_year: '2040', cvc: '123' };
      expect((await publishable.tokens.create({ card })).object).toBe('token');
      expect((await stripeError(publishable.customers.list())).statusCode).toBe(401);
    },
  },
  {
    item: '13',
    behaviour: 'search is not read-after-write: a new object is found only after the lag',
    docs: 'https://docs.stripe.com/search#data-freshness',
    async check(stripe) {
      const customer = await stripe.customers.create({ email: 'lag@example.com' });
      const found = async () => (await stripe.customers.search({ query: "email:'lag@example.com'" })).data;
      expect(await found()).toEqual([]);
      await until(async () => (await found())[0]?.id === customer.id, 'search to catch up', LAG_MS * 5);
    },
  },
  {
    item: '14',
    behaviour: 'pending_webhooks counts the endpoints that have not yet acknowledged an event',
    docs: 'https://docs.stripe.com/api/events/object#event_object-pending_webhooks',
    async check(stripe) {
      const failing = await startReceiver();
      failing.state.status = 500;
      try {
        await stripe.webhookEndpoints.create({ url: failing.url, enabled_events: ['customer.created'] });
        await stripe.customers.create();
        await until(() => failing.received.length === 1, 'the first attempt');
        expect((await stripe.events.list({ type: 'customer.created' })).data[0]?.pending_webhooks).toBe(1);
      } finally {
        await failing.close();
      }
    },
  },
  {
    item: '10 (webhooks)',
    behaviour: "an event carries the account's API version, or its endpoint's",
    docs: 'https://docs.stripe.com/webhooks/versioning',
    async check(stripe) {
      await stripe.customers.create();
      expect((await stripe.events.list({ type: 'customer.created' })).data[0]?.api_version).toBe(Stripe.API_VERSION);
    },
  },
  {
    item: 'cards',
    behaviour: 'CVC and address check failures are saved, the failed check in card.checks',
    docs: 'https://docs.stripe.com/testing#cvc-and-address-checks',
    async check(stripe) {
      const { payment_method } = await pay(stripe, 'pm_card_cvcCheckFail');
      expect((await stripe.paymentMethods.retrieve(payment_method as string)).card?.checks?.cvc_check).toBe('fail');
    },
  },
  {
    item: 'cards',
    behaviour: 'international cards carry their country in card.country',
    docs: 'https://docs.stripe.com/testing#international-cards',
    async check(stripe) {
      const { payment_method } = await pay(stripe, 'pm_card_br');
      expect((await stripe.paymentMethods.retrieve(payment_method as string)).card?.country).toBe('BR');
    },
  },
  {
    item: 'cards',
    behaviour: 'dispute cards open a dispute of their reason after the payment',
    docs: 'https://docs.stripe.com/testing#disputes',
    async check(stripe) {
      const paid = await pay(stripe, 'pm_card_createDisputeProductNotReceived');
      const [dispute] = (await stripe.disputes.list({ payment_intent: paid.id })).data;
      expect(dispute?.reason).toBe('product_not_received');
    },
  },
];

describe('stripe-local: fidelity to Stripe (issue 25)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ searchLagMs: LAG_MS });
  });
  afterAll(() => emulator.stop());

  it('names a docs.stripe.com page for every behaviour', () => {
    for (const { docs } of BEHAVIOURS) expect(docs).toMatch(/^https:\/\/docs\.stripe\.com\//);
  });

  it.each(BEHAVIOURS.map((row) => [row.item, row.behaviour, row.docs, row] as const))(
    'item %s: %s (%s)',
    async (_item, _behaviour, _docs, row) => {
      const key = newKey();
      await row.check(emulator.stripe(key), emulator, key);
    },
  );
});
