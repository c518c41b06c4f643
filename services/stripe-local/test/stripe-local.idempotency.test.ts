import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, startEmulator, stripeError, type Emulator } from './support/harness.js';

describe('stripe-local: idempotency keys', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it('ten concurrent identical requests make one object: the others are 409 idempotency_key_in_use, then replay it (docs/idempotency)', async () => {
    const key = newKey();
    const stripe = emulator.stripe(key);
    const { hostname, port } = new URL(emulator.url);
    // As the services run it: the SDK retries a 409 after a backoff, and the retry replays the first answer.
    const retrying = new Stripe(key, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 5 });
    const customer = await stripe.customers.create({ email: 'setup@example.com', source: 'tok_visa' });
    // The first is slowed down, so the others arrive while it still runs.
    await emulator.control(stripe, 'POST', 'faults', { count: 1, delay_ms: 300, path: '/v1/payment_intents' });
    const params = {
      amount: 2_000,
      currency: 'usd',
      customer: customer.id,
      payment_method: customer.default_source as string,
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    };
    const intents = await Promise.all(
      Array.from({ length: 10 }, () => retrying.paymentIntents.create(params, { idempotencyKey: 'pay-once' })),
    );
    expect(new Set(intents.map((intent) => intent.id)).size).toBe(1);
    expect(intents.filter((intent) => intent.lastResponse.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
    expect((await stripe.paymentIntents.list({ customer: customer.id })).data).toHaveLength(1);
    expect((await stripe.charges.list({ customer: customer.id })).data).toHaveLength(1);
  });

  it('a second request while the first with its key runs is answered at once: 409 idempotency_key_in_use', async () => {
    const stripe = emulator.stripe();
    // Whichever of the two arrives first is slowed down; the other arrives while it still runs.
    await emulator.control(stripe, 'POST', 'faults', { count: 1, delay_ms: 1_000, path: '/v1/customers' });
    const settled: string[] = [];
    const attempt = () =>
      stripe.customers.create({ email: 'slow@example.com' }, { idempotencyKey: 'busy' }).then(
        (customer) => (settled.push('created'), customer),
        (error: unknown) => (settled.push('refused'), error),
      );
    const outcomes = await Promise.all([attempt(), attempt()]);
    // The refusal did not wait for the request that holds the key.
    expect(settled).toEqual(['refused', 'created']);
    const refused = outcomes.find((outcome) => outcome instanceof Stripe.errors.StripeError)!;
    expect(refused).toMatchObject({
      statusCode: 409,
      rawType: 'invalid_request_error',
      code: 'idempotency_key_in_use',
    });
    expect(refused.message).toMatch(/another in-progress request using this Idempotent Key.*busy/);
    const made = outcomes.find((outcome) => !(outcome instanceof Stripe.errors.StripeError)) as Stripe.Customer;
    const replay = await stripe.customers.create({ email: 'slow@example.com' }, { idempotencyKey: 'busy' });
    expect(replay.id).toBe(made.id);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
  });

  it('a request that fails parameter validation saves nothing: the corrected retry with its key runs (docs/idempotency)', async () => {
    const stripe = emulator.stripe();
    const refused = await stripeError(
      stripe.customers.create({ email: 'typo@example.com', emial: 'x' } as Stripe.CustomerCreateParams, {
        idempotencyKey: 'fix-me',
      }),
    );
    expect(refused).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'emial' });
    const again = await stripeError(
      stripe.customers.create({ email: 'typo@example.com', emial: 'x' } as Stripe.CustomerCreateParams, {
        idempotencyKey: 'fix-me',
      }),
    );
    expect(again.headers?.['idempotent-replayed']).toBeUndefined();
    const fixed = await stripe.customers.create({ email: 'typo@example.com' }, { idempotencyKey: 'fix-me' });
    expect(fixed).toMatchObject({ object: 'customer', email: 'typo@example.com' });
    expect(fixed.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    const replay = await stripe.customers.create({ email: 'typo@example.com' }, { idempotencyKey: 'fix-me' });
    expect(replay.id).toBe(fixed.id);
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
