import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, startEmulator, stripeError, type Emulator } from './support/harness.js';

describe('stripe-local: fault injection (test-only control path)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it('the next N requests answer 500, then all is well; an idempotent retry then runs for real', async () => {
    const stripe = emulator.stripe();
    await emulator.control(stripe, 'POST', 'faults', { count: 2, status: 500 });
    const failure = await stripeError(
      stripe.customers.create({ email: 'x@example.com' }, { idempotencyKey: 'after-fault' }),
    );
    expect(failure).toMatchObject({ statusCode: 500, type: 'StripeAPIError' });
    expect((await stripeError(stripe.customers.list())).statusCode).toBe(500);
    const customer = await stripe.customers.create({ email: 'x@example.com' }, { idempotencyKey: 'after-fault' });
    expect(customer.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect((await stripe.customers.list()).data).toHaveLength(1);
  });

  it('429 on one path only, as Stripe rate limits', async () => {
    const stripe = emulator.stripe();
    await emulator.control(stripe, 'POST', 'faults', { count: 1, status: 429, path: '/v1/payment_intents' });
    await stripe.customers.create({});
    const limited = await stripeError(stripe.paymentIntents.create({ amount: 100, currency: 'usd' }));
    expect(limited).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(limited).toMatchObject({ statusCode: 429, code: 'rate_limit' });
    expect((await stripe.paymentIntents.create({ amount: 100, currency: 'usd' })).status).toBe(
      'requires_payment_method',
    );
  });

  it('a delay makes the request take that long, and a client timeout sees it', async () => {
    const key = newKey();
    const stripe = emulator.stripe(key);
    await emulator.control(stripe, 'POST', 'faults', { count: 1, delay_ms: 300 });
    const started = Date.now();
    await stripe.customers.list();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await emulator.control(stripe, 'POST', 'faults', { count: 1, delay_ms: 500 });
    const { hostname, port } = new URL(emulator.url);
    const impatient = new Stripe(key, {
      host: hostname,
      port: Number(port),
      protocol: 'http',
      maxNetworkRetries: 0,
      timeout: 100,
    });
    expect(await stripeError(impatient.customers.list())).toBeInstanceOf(Stripe.errors.StripeConnectionError);
  });

  it('faults of one account leave every other account alone, and can be cleared', async () => {
    const [faulty, healthy] = [emulator.stripe(), emulator.stripe()];
    await emulator.control(faulty, 'POST', 'faults', { count: 100, status: 500 });
    expect((await healthy.customers.list()).data).toEqual([]);
    expect((await emulator.control(faulty, 'DELETE', 'faults')).data).toEqual([]);
    expect((await faulty.customers.list()).data).toEqual([]);
  });

  it('control parameters are validated like any other', async () => {
    const stripe = emulator.stripe();
    expect(await stripeError(emulator.control(stripe, 'POST', 'faults', { count: 0 }))).toMatchObject({
      statusCode: 400,
      param: 'count',
    });
    expect(await stripeError(emulator.control(stripe, 'POST', 'faults', { count: 1, status: 418 }))).toMatchObject({
      statusCode: 400,
      param: 'status',
    });
    expect(await stripeError(emulator.control(stripe, 'POST', 'clock/advance', {}))).toMatchObject({
      statusCode: 400,
      code: 'parameter_missing',
      param: 'seconds',
    });
  });

  it('without controls (production), the control path does not exist', async () => {
    const production = await startEmulator({ controls: false });
    try {
      const stripe = production.stripe();
      expect(await stripeError(production.control(stripe, 'POST', 'faults', { count: 1, status: 500 }))).toMatchObject({
        statusCode: 404,
      });
      expect((await stripe.customers.list()).data).toEqual([]);
    } finally {
      await production.stop();
    }
  });
});
