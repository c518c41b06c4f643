import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, stripeError, type Emulator } from './support/harness.js';

describe('stripe-local: Radar test cards (docs/radar/testing)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it('pm_card_radarBlock (docs/radar/testing): blocked by Radar, outcome blocked with risk level highest', async () => {
    const stripe = emulator.stripe();
    const error = await stripeError(
      stripe.paymentIntents.create({
        amount: 1_000,
        currency: 'usd',
        payment_method: 'pm_card_radarBlock',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      }),
    );
    expect(error).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'fraudulent' });
    const charge = await stripe.charges.retrieve((error.raw as { charge: string }).charge);
    expect(charge).toMatchObject({
      status: 'failed',
      failure_code: 'card_declined',
      outcome: {
        type: 'blocked',
        network_status: 'not_sent_to_network',
        reason: 'highest_risk_level',
        risk_level: 'highest',
      },
    });
    const legacy = await stripeError(
      stripe.charges.create({ amount: 1_000, currency: 'usd', source: 'tok_radarBlock' }),
    );
    expect(await stripe.charges.retrieve((legacy.raw as { charge: string }).charge)).toMatchObject({
      outcome: { type: 'blocked', risk_level: 'highest' },
    });
  });
});
