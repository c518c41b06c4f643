import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, stripeError, type Emulator } from './support/harness.js';

describe('stripe-local: idempotency keys', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it('ten concurrent identical requests make one object; the others replay it', async () => {
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create({ email: 'setup@example.com', source: 'tok_visa' });
    // The first is slowed down, so the others arrive while it still runs.
    await emulator.control(stripe, 'POST', 'faults', { count: 1, delay_ms: 150, path: '/v1/payment_intents' });
    const params = {
      amount: 2_000,
      currency: 'usd',
      customer: customer.id,
      payment_method: customer.default_source as string,
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    };
    const intents = await Promise.all(
      Array.from({ length: 10 }, () => stripe.paymentIntents.create(params, { idempotencyKey: 'pay-once' })),
    );
    expect(new Set(intents.map((intent) => intent.id)).size).toBe(1);
    expect(intents.filter((intent) => intent.lastResponse.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
    expect((await stripe.paymentIntents.list({ customer: customer.id })).data).toHaveLength(1);
    expect((await stripe.charges.list({ customer: customer.id })).data).toHaveLength(1);
  });

  it('a replay answers the first response, even after the object changed', async () => {
    const stripe = emulator.stripe();
    const first = await stripe.customers.create({ email: 'before@example.com' }, { idempotencyKey: 'k1' });
    await stripe.customers.update(first.id, { email: 'after@example.com' });
    const replay = await stripe.customers.create({ email: 'before@example.com' }, { idempotencyKey: 'k1' });
    expect(replay).toMatchObject({ id: first.id, email: 'before@example.com' });
    expect(replay.lastResponse.headers['original-request']).toBe(first.lastResponse.requestId);
  });

  it('errors are replayed too: a declined card stays declined under its key', async () => {
    const stripe = emulator.stripe();
    const first = await stripeError(
      stripe.customers.create({ source: 'tok_chargeDeclined' }, { idempotencyKey: 'declined' }),
    );
    const again = await stripeError(
      stripe.customers.create({ source: 'tok_chargeDeclined' }, { idempotencyKey: 'declined' }),
    );
    expect(again).toMatchObject({ statusCode: 402, code: first.code, message: first.message });
    expect(again.headers?.['idempotent-replayed']).toBe('true');
  });

  it('the same key with other parameters: 400 idempotency_error', async () => {
    const stripe = emulator.stripe();
    await stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'reused' });
    const error = await stripeError(stripe.customers.create({ email: 'b@example.com' }, { idempotencyKey: 'reused' }));
    expect(error).toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError', rawType: 'idempotency_error' });
    expect(error.message).toMatch(/same parameters/);
  });

  it('keys expire after 24 hours of the emulator clock', async () => {
    const stripe = emulator.stripe();
    const first = await stripe.customers.create({ email: 'day@example.com' }, { idempotencyKey: 'daily' });
    await emulator.control(stripe, 'POST', 'clock/advance', { seconds: 23 * 3_600 });
    expect((await stripe.customers.create({ email: 'day@example.com' }, { idempotencyKey: 'daily' })).id).toBe(
      first.id,
    );
    await emulator.control(stripe, 'POST', 'clock/advance', { seconds: 3_600 });
    expect((await stripe.customers.create({ email: 'day@example.com' }, { idempotencyKey: 'daily' })).id).not.toBe(
      first.id,
    );
  });

  it("keys belong to an account: another key's same idempotency key makes its own object", async () => {
    const [alice, bob] = [emulator.stripe(), emulator.stripe()];
    const mine = await alice.customers.create({ email: 'x@example.com' }, { idempotencyKey: 'shared' });
    const theirs = await bob.customers.create({ email: 'x@example.com' }, { idempotencyKey: 'shared' });
    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });
});
