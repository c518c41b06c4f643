import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { testCards } from '../index.js';
import { startEmulator, stripeError, type Emulator } from './support/harness.js';

const OK = 'ok';
const SUCCEEDED = 'succeeded';
const ACTION = 'requires_action';
const declined = (code: string, declineCode = code) => `402 ${code}/${declineCode}`;
const GENERIC = declined('card_declined', 'generic_decline');
const AUTH_REQUIRED = declined('authentication_required');
const LEGACY_AUTH = declined('card_declined', 'authentication_required');
const BLOCKED = declined('card_declined', 'fraudulent');

/**
 * Each card's documented outcome (docs.stripe.com/testing): saving it to a customer, paying on-session
 * with a PaymentIntent, paying off-session with the saved card, and the legacy `charges.create`.
 */
const EXPECTED: Record<string, { attach: string; onSession: string; offSession?: string; legacy: string }> = {
  ...Object.fromEntries(
    [
      'visa',
      'visa_debit',
      'mastercard',
      'mastercard_debit',
      'mastercard_prepaid',
      'amex',
      'discover',
      'diners',
      'jcb',
      'unionpay',
      'riskLevelElevated',
      'threeDSecureOptional',
      'bypassPending',
      'createDispute',
      'createDisputeProductNotReceived',
      'createDisputeInquiry',
      'cvcCheckFail',
      'avsZipFail',
      'avsLine1Fail',
      'avsFail',
      'br',
      'ca',
      'mx',
      'gb',
      'de',
      'pendingRefund',
      'refundFail',
    ].map((name) => [name, { attach: OK, onSession: SUCCEEDED, offSession: SUCCEEDED, legacy: SUCCEEDED }]),
  ),
  visa_chargeDeclined: { attach: GENERIC, onSession: GENERIC, legacy: GENERIC },
  visa_chargeDeclinedInsufficientFunds: {
    attach: declined('card_declined', 'insufficient_funds'),
    onSession: declined('card_declined', 'insufficient_funds'),
    legacy: declined('card_declined', 'insufficient_funds'),
  },
  visa_chargeDeclinedLostCard: {
    attach: declined('card_declined', 'lost_card'),
    onSession: declined('card_declined', 'lost_card'),
    legacy: declined('card_declined', 'lost_card'),
  },
  visa_chargeDeclinedStolenCard: {
    attach: declined('card_declined', 'stolen_card'),
    onSession: declined('card_declined', 'stolen_card'),
    legacy: declined('card_declined', 'stolen_card'),
  },
  visa_chargeDeclinedExpiredCard: {
    attach: declined('expired_card'),
    onSession: declined('expired_card'),
    legacy: declined('expired_card'),
  },
  visa_chargeDeclinedIncorrectCvc: {
    attach: declined('incorrect_cvc'),
    onSession: declined('incorrect_cvc'),
    legacy: declined('incorrect_cvc'),
  },
  visa_chargeDeclinedProcessingError: {
    attach: OK,
    onSession: declined('processing_error'),
    offSession: declined('processing_error'),
    legacy: declined('processing_error'),
  },
  visa_chargeDeclinedVelocityLimitExceeded: {
    attach: declined('card_declined', 'card_velocity_exceeded'),
    onSession: declined('card_declined', 'card_velocity_exceeded'),
    legacy: declined('card_declined', 'card_velocity_exceeded'),
  },
  // docs/radar/testing: saved as any card, every payment blocked by Radar.
  radarBlock: { attach: OK, onSession: BLOCKED, offSession: BLOCKED, legacy: BLOCKED },
  riskLevelHighest: { attach: OK, onSession: BLOCKED, offSession: BLOCKED, legacy: BLOCKED },
  chargeCustomerFail: { attach: OK, onSession: GENERIC, offSession: GENERIC, legacy: GENERIC },
  authenticationRequired: { attach: OK, onSession: ACTION, offSession: AUTH_REQUIRED, legacy: LEGACY_AUTH },
  threeDSecure2Required: { attach: OK, onSession: ACTION, offSession: AUTH_REQUIRED, legacy: LEGACY_AUTH },
  threeDSecureRequired: { attach: OK, onSession: ACTION, offSession: AUTH_REQUIRED, legacy: LEGACY_AUTH },
  authenticationRequiredOnSetup: { attach: OK, onSession: ACTION, offSession: AUTH_REQUIRED, legacy: LEGACY_AUTH },
  // The emulator's own card: PaymentIntents wait in processing for the settle control; legacy charges know no delay.
  delayedSettlement: { attach: OK, onSession: 'processing', offSession: 'processing', legacy: SUCCEEDED },
};

async function outcome(call: Promise<{ status?: string; object?: string }>): Promise<string> {
  try {
    const result = await call;
    return result.object === 'payment_intent' || result.object === 'charge' ? result.status! : OK;
  } catch (error) {
    const { statusCode, code, decline_code: declineCode } = error as Stripe.errors.StripeError;
    return `${statusCode} ${code}/${declineCode ?? code}`;
  }
}

describe('stripe-local: test cards', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it('every test card has a documented outcome here', () => {
    expect(testCards.map((card) => card.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(testCards.map((card) => [card.name, card] as const))('%s', async (name) => {
    const stripe = emulator.stripe();
    const expected = EXPECTED[name]!;
    const customer = await stripe.customers.create({ email: `${name}@example.com` });
    const attached = stripe.paymentMethods.attach(`pm_card_${name}`, { customer: customer.id });
    const results: Record<string, string> = { attach: await outcome(attached) };
    results.onSession = await outcome(
      stripe.paymentIntents.create({
        amount: 1_000,
        currency: 'usd',
        payment_method: `pm_card_${name}`,
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      }),
    );
    if (results.attach === OK) {
      const [saved] = (await stripe.paymentMethods.list({ customer: customer.id, type: 'card' })).data;
      results.offSession = await outcome(
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
    }
    results.legacy = await outcome(stripe.charges.create({ amount: 1_000, currency: 'usd', source: `tok_${name}` }));
    expect(results).toEqual(expected);
    // The legacy way to save a card declines where attaching does.
    expect(await outcome(stripe.customers.create({ source: `tok_${name}` }))).toBe(expected.attach);
  });

  it('a declined PaymentIntent returns to requires_payment_method with last_payment_error and a failed latest_charge', async () => {
    const stripe = emulator.stripe();
    const error = await stripeError(
      stripe.paymentIntents.create({
        amount: 1_500,
        currency: 'usd',
        payment_method: 'pm_card_visa_chargeDeclinedInsufficientFunds',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      }),
    );
    const raw = error.raw as { payment_intent: Stripe.PaymentIntent; charge: string };
    const intent = await stripe.paymentIntents.retrieve(raw.payment_intent.id, { expand: ['latest_charge'] });
    expect(intent).toMatchObject({
      status: 'requires_payment_method',
      payment_method: null,
      last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' },
    });
    expect(intent.latest_charge).toMatchObject({
      id: raw.charge,
      status: 'failed',
      failure_code: 'card_declined',
      payment_intent: intent.id,
    });
    expect(
      (await stripe.events.list({ type: 'payment_intent.payment_failed' })).data.map(
        (event) => (event.data.object as { id: string }).id,
      ),
    ).toEqual([intent.id]);
  });

  it('pm_card_createDispute: the payment succeeds and a dispute opens on its charge', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create({
      amount: 4_200,
      currency: 'usd',
      payment_method: 'pm_card_createDispute',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const [dispute] = (await stripe.disputes.list({ payment_intent: intent.id })).data;
    expect(dispute).toMatchObject({
      object: 'dispute',
      amount: 4_200,
      charge: intent.latest_charge,
      reason: 'fraudulent',
      status: 'needs_response',
    });
    expect(await stripe.charges.retrieve(intent.latest_charge as string)).toMatchObject({ disputed: true });
    expect((await stripe.events.list({ type: 'charge.dispute.created' })).data).toHaveLength(1);
  });

  it('pm_card_delayedSettlement: processing until the settle control ends it, succeeded or failed, each with its charge and event', async () => {
    const stripe = emulator.stripe();
    const pay = () =>
      stripe.paymentIntents.create({
        amount: 1_200,
        currency: 'usd',
        payment_method: 'pm_card_delayedSettlement',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      });
    const settle = (intent: Stripe.PaymentIntent, outcome: string) =>
      emulator.control(stripe, 'POST', `payment_intents/${intent.id}/settle`, { outcome });
    const [good, bad] = [await pay(), await pay()];
    expect(good).toMatchObject({ status: 'processing', latest_charge: null });
    expect(await settle(good, 'succeeded')).toMatchObject({
      status: 'succeeded',
      latest_charge: expect.stringMatching(/^ch_/),
    });
    expect(await settle(bad, 'failed')).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { code: 'card_declined', decline_code: 'generic_decline' },
    });
    expect(await stripeError(settle(good, 'failed'))).toMatchObject({
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    });
    const typesOf = async (intent: Stripe.PaymentIntent) =>
      (await stripe.events.list({ limit: 100 })).data
        .filter((event) => (event.data.object as { id: string }).id === intent.id)
        .map((event) => event.type)
        .reverse();
    expect(await typesOf(good)).toEqual([
      'payment_intent.created',
      'payment_intent.processing',
      'payment_intent.succeeded',
    ]);
    expect(await typesOf(bad)).toEqual([
      'payment_intent.created',
      'payment_intent.processing',
      'payment_intent.payment_failed',
    ]);
  });

  it('tokens made from the documented numbers behave as their tok_ names, once each', async () => {
    const stripe = emulator.stripe();
    await emulator.control(stripe, 'POST', 'account/raw_card_data', { enabled: 'true' });
    const token = await stripe.tokens.create({
      card: { number: '4000000000000341', exp_month: '12', exp_year: String(new Date().getFullYear() + 2), cvc: '123' },
    } as Stripe.TokenCreateParams);
    expect(token).toMatchObject({ object: 'token', type: 'card', used: false, card: { last4: '0341', brand: 'Visa' } });
    const customer = await stripe.customers.create({ source: token.id });
    expect(await outcome(stripe.charges.create({ amount: 1_000, currency: 'usd', customer: customer.id }))).toBe(
      GENERIC,
    );
    expect(await stripeError(stripe.customers.create({ source: token.id }))).toMatchObject({
      code: 'token_already_used',
      param: 'source',
    });
    expect(
      await stripeError(
        stripe.tokens.create({
          card: { number: '4242424242424241', exp_month: '12', exp_year: '2040' },
        } as Stripe.TokenCreateParams),
      ),
    ).toMatchObject({
      statusCode: 402,
      code: 'incorrect_number',
    });
    const paymentMethod = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_mastercard' } });
    expect(paymentMethod).toMatchObject({
      object: 'payment_method',
      type: 'card',
      card: { brand: 'mastercard', last4: '4444' },
    });
  });

  it('the older spellings the project used name the same cards as docs/testing spells them', async () => {
    const stripe = emulator.stripe();
    const pairs = testCards.flatMap((card) => (card.also ?? []).map((alias) => [alias, card] as const));
    expect(pairs.length).toBeGreaterThan(0);
    for (const [alias, card] of pairs) {
      const paymentMethod = await stripe.paymentMethods.create({ type: 'card', card: { token: `tok_${alias}` } });
      expect(paymentMethod.card).toMatchObject({ last4: card.last4, fingerprint: card.fingerprint });
      expect(await outcome(stripe.charges.create({ amount: 1_000, currency: 'usd', source: `tok_${alias}` }))).toBe(
        EXPECTED[card.name]!.legacy,
      );
    }
  });

  it('each documented card number is its row: the token made from it is that card', async () => {
    const stripe = emulator.stripe();
    await emulator.control(stripe, 'POST', 'account/raw_card_data', { enabled: 'true' });
    for (const card of testCards) {
      const token = await stripe.tokens.create({
        card: { number: card.number, exp_month: '12', exp_year: '2040', cvc: '123' },
      } as Stripe.TokenCreateParams);
      expect(token.card).toMatchObject({ last4: card.last4, fingerprint: card.fingerprint, funding: card.funding });
    }
  });
});
