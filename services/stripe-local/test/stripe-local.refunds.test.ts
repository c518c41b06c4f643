import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, stripeError, type Emulator } from './support/harness.js';

describe('stripe-local: refunds', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  const paid = async (stripe: ReturnType<Emulator['stripe']>, amount: number) =>
    stripe.paymentIntents.create({
      amount,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });

  it('partial refunds on a PaymentIntent, then the rest: amount_refunded adds up and refunded turns true', async () => {
    const stripe = emulator.stripe();
    const intent = await paid(stripe, 10_000);
    const first = await stripe.refunds.create({
      payment_intent: intent.id,
      amount: 2_500,
      reason: 'requested_by_customer',
    });
    expect(first).toMatchObject({
      object: 'refund',
      amount: 2_500,
      status: 'succeeded',
      payment_intent: intent.id,
      charge: intent.latest_charge,
    });
    expect(await stripe.charges.retrieve(intent.latest_charge as string)).toMatchObject({
      amount_refunded: 2_500,
      refunded: false,
    });

    const rest = await stripe.refunds.create({ charge: intent.latest_charge as string });
    expect(rest.amount).toBe(7_500);
    const charge = await stripe.charges.retrieve(intent.latest_charge as string, { expand: ['refunds'] });
    expect(charge).toMatchObject({ amount_refunded: 10_000, refunded: true });
    expect(charge.refunds!.data.map((refund) => refund.id)).toEqual([rest.id, first.id]);
    expect((await stripe.refunds.list({ payment_intent: intent.id })).data).toHaveLength(2);
    expect((await stripe.events.list({ type: 'charge.refunded' })).data).toHaveLength(2);
  });

  it('charge.refunds only when expanded, as since API 2022-11-15 (changelog 2022-11-15, api/charges/object): retrieve, list, and nested', async () => {
    const stripe = emulator.stripe();
    const intent = await paid(stripe, 4_000);
    const chargeId = intent.latest_charge as string;
    const refund = await stripe.refunds.create({ charge: chargeId, amount: 1_000 });
    expect(await stripe.charges.retrieve(chargeId)).not.toHaveProperty('refunds');
    expect((await stripe.charges.list({ payment_intent: intent.id })).data[0]).not.toHaveProperty('refunds');

    const expanded = await stripe.charges.retrieve(chargeId, { expand: ['refunds'] });
    expect(expanded.refunds).toMatchObject({
      object: 'list',
      url: `/v1/charges/${chargeId}/refunds`,
      data: [{ id: refund.id, amount: 1_000 }],
    });
    const listed = await stripe.charges.list({ payment_intent: intent.id, expand: ['data.refunds'] });
    expect(listed.data[0]!.refunds!.data.map((entry) => entry.id)).toEqual([refund.id]);
    const viaIntent = await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge.refunds'] });
    expect((viaIntent.latest_charge as Stripe.Charge).refunds!.data.map((entry) => entry.id)).toEqual([refund.id]);
    // A charge event's object is the charge as the API version renders it: no refunds.
    const [refunded] = (await stripe.events.list({ type: 'charge.refunded' })).data;
    expect(refunded!.data.object).not.toHaveProperty('refunds');
  });

  it('refusing more than remains: amount_too_large, then charge_already_refunded once all is back', async () => {
    const stripe = emulator.stripe();
    const intent = await paid(stripe, 1_000);
    await stripe.refunds.create({ payment_intent: intent.id, amount: 600 });
    expect(await stripeError(stripe.refunds.create({ payment_intent: intent.id, amount: 401 }))).toMatchObject({
      statusCode: 400,
      code: 'amount_too_large',
      param: 'amount',
    });
    await stripe.refunds.create({ payment_intent: intent.id, amount: 400 });
    expect(await stripeError(stripe.refunds.create({ payment_intent: intent.id }))).toMatchObject({
      statusCode: 400,
      code: 'charge_already_refunded',
    });
  });

  it('a legacy charge is refunded the same way; a failed charge cannot be', async () => {
    const stripe = emulator.stripe();
    const charge = await stripe.charges.create({ amount: 5_000, currency: 'usd', source: 'tok_amex' });
    expect((await stripe.refunds.create({ charge: charge.id })).amount).toBe(5_000);
    const failed = await stripeError(
      stripe.charges.create({ amount: 5_000, currency: 'usd', source: 'tok_chargeDeclined' }),
    );
    const failedCharge = (failed.raw as { charge: string }).charge;
    expect(await stripeError(stripe.refunds.create({ charge: failedCharge }))).toMatchObject({
      statusCode: 400,
      code: 'charge_not_refundable',
    });
  });

  it('pm_card_pendingRefund: the refund stays pending until settled; a failed one gives the amount back to the charge, with refund.updated, refund.failed and charge.refund.updated', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create({
      amount: 3_000,
      currency: 'usd',
      payment_method: 'pm_card_pendingRefund',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const refund = async (amount: number) => stripe.refunds.create({ payment_intent: intent.id, amount });
    const settle = (id: string, outcome: string) =>
      emulator.control(stripe, 'POST', `refunds/${id}/settle`, { outcome });
    const [good, bad] = [await refund(1_000), await refund(2_000)];
    expect([good.status, bad.status]).toEqual(['pending', 'pending']);
    expect(await settle(good.id, 'succeeded')).toMatchObject({ id: good.id, status: 'succeeded' });
    expect(await settle(bad.id, 'failed')).toMatchObject({
      id: bad.id,
      status: 'failed',
      failure_reason: 'expired_or_canceled_card',
    });
    expect(await stripeError(settle(good.id, 'succeeded'))).toMatchObject({
      statusCode: 400,
      code: 'refund_unexpected_state',
    });
    expect(await stripe.refunds.retrieve(bad.id)).toMatchObject({
      status: 'failed',
      failure_reason: 'expired_or_canceled_card',
    });
    expect(await stripe.charges.retrieve(intent.latest_charge as string)).toMatchObject({
      amount_refunded: 1_000,
      refunded: false,
    });
    const typesOf = async (id: string) =>
      (await stripe.events.list({ limit: 100 })).data
        .filter((event) => (event.data.object as { id: string }).id === id)
        .map((event) => event.type)
        .reverse();
    expect(await typesOf(good.id)).toEqual(['refund.created', 'refund.updated', 'charge.refund.updated']);
    expect(await typesOf(bad.id)).toEqual([
      'refund.created',
      'refund.updated',
      'refund.failed',
      'charge.refund.updated',
    ]);
    // What failed can be refunded again.
    expect((await refund(2_000)).amount).toBe(2_000);
  });

  it('pm_card_refundFail: the refund succeeds, then fails when settled', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create({
      amount: 1_500,
      currency: 'usd',
      payment_method: 'pm_card_refundFail',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const made = await stripe.refunds.create({ payment_intent: intent.id });
    expect(made.status).toBe('succeeded');
    expect(
      await emulator.control(stripe, 'POST', `refunds/${made.id}/settle`, {
        outcome: 'failed',
        failure_reason: 'lost_or_stolen_card',
      }),
    ).toMatchObject({ status: 'failed', failure_reason: 'lost_or_stolen_card' });
    expect(await stripe.charges.retrieve(intent.latest_charge as string)).toMatchObject({ amount_refunded: 0 });
  });

  it('a refund needs a charge or a payment_intent that exists', async () => {
    const stripe = emulator.stripe();
    expect(await stripeError(stripe.refunds.create({}))).toMatchObject({ statusCode: 400, code: 'parameter_missing' });
    expect(await stripeError(stripe.refunds.create({ charge: 'ch_missing' }))).toMatchObject({
      code: 'resource_missing',
      param: 'charge',
    });
  });
});
