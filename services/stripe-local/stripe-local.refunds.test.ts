import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, stripeError, type Emulator } from './test-support/harness.js';

describe('stripe-local: refunds', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  const paid = async (stripe: ReturnType<Emulator['stripe']>, amount: number) =>
    stripe.paymentIntents.create({ amount, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });

  it('partial refunds on a PaymentIntent, then the rest: amount_refunded adds up and refunded turns true', async () => {
    const stripe = emulator.stripe();
    const intent = await paid(stripe, 10_000);
    const first = await stripe.refunds.create({ payment_intent: intent.id, amount: 2_500, reason: 'requested_by_customer' });
    expect(first).toMatchObject({ object: 'refund', amount: 2_500, status: 'succeeded', payment_intent: intent.id, charge: intent.latest_charge });
    expect(await stripe.charges.retrieve(intent.latest_charge as string)).toMatchObject({ amount_refunded: 2_500, refunded: false });

    const rest = await stripe.refunds.create({ charge: intent.latest_charge as string });
    expect(rest.amount).toBe(7_500);
    const charge = await stripe.charges.retrieve(intent.latest_charge as string);
    expect(charge).toMatchObject({ amount_refunded: 10_000, refunded: true });
    expect(charge.refunds!.data.map((refund) => refund.id)).toEqual([rest.id, first.id]);
    expect((await stripe.refunds.list({ payment_intent: intent.id })).data).toHaveLength(2);
    expect((await stripe.events.list({ type: 'charge.refunded' })).data).toHaveLength(2);
  });

  it('refusing more than remains: amount_too_large, then charge_already_refunded once all is back', async () => {
    const stripe = emulator.stripe();
    const intent = await paid(stripe, 1_000);
    await stripe.refunds.create({ payment_intent: intent.id, amount: 600 });
    expect(await stripeError(stripe.refunds.create({ payment_intent: intent.id, amount: 401 }))).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount' });
    await stripe.refunds.create({ payment_intent: intent.id, amount: 400 });
    expect(await stripeError(stripe.refunds.create({ payment_intent: intent.id }))).toMatchObject({ statusCode: 400, code: 'charge_already_refunded' });
  });

  it('a legacy charge is refunded the same way; a failed charge cannot be', async () => {
    const stripe = emulator.stripe();
    const charge = await stripe.charges.create({ amount: 5_000, currency: 'usd', source: 'tok_amex' });
    expect((await stripe.refunds.create({ charge: charge.id })).amount).toBe(5_000);
    const failed = await stripeError(stripe.charges.create({ amount: 5_000, currency: 'usd', source: 'tok_chargeDeclined' }));
    const failedCharge = (failed.raw as { charge: string }).charge;
    expect(await stripeError(stripe.refunds.create({ charge: failedCharge }))).toMatchObject({ statusCode: 400, code: 'charge_not_refundable' });
  });

  it('a refund needs a charge or a payment_intent that exists', async () => {
    const stripe = emulator.stripe();
    expect(await stripeError(stripe.refunds.create({}))).toMatchObject({ statusCode: 400, code: 'parameter_missing' });
    expect(await stripeError(stripe.refunds.create({ charge: 'ch_missing' }))).toMatchObject({ code: 'resource_missing', param: 'charge' });
  });
});
