import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, startEmulator, stripeError, type Emulator } from './support/harness.js';

describe('stripe-local: bad input is a 400 naming the param, never a 500', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it.each([
    ['an unknown parameter', '/v1/customers', 'emial=a@b.c', 'parameter_unknown', 'emial'],
    [
      'an unknown nested parameter',
      '/v1/payment_methods',
      'type=card&card[tokn]=tok_visa',
      'parameter_unknown',
      'card[tokn]',
    ],
    ['a missing parameter', '/v1/payment_intents', 'currency=usd', 'parameter_missing', 'amount'],
    [
      'an integer that is not one',
      '/v1/payment_intents',
      'amount=12.5&currency=usd',
      'parameter_invalid_integer',
      'amount',
    ],
    [
      'a boolean that is not one',
      '/v1/payment_intents',
      'amount=100&currency=usd&confirm=yes',
      'parameter_invalid_boolean',
      'confirm',
    ],
    ['a value where an object belongs', '/v1/customers', 'metadata=[1]', 'parameter_invalid_string', 'metadata'],
    ['an object where a value belongs', '/v1/customers', 'email[x]=1', 'parameter_invalid_string', 'email'],
    ['an enum value Stripe does not have', '/v1/setup_intents', 'usage=sometimes', 'parameter_invalid_string', 'usage'],
    [
      'metadata keys too long',
      '/v1/customers',
      `metadata[${'k'.repeat(41)}]=v`,
      'parameter_invalid_string',
      'metadata',
    ],
    ['a currency Stripe does not support', '/v1/payment_intents', 'amount=100&currency=xyz', undefined, 'currency'],
    ['an amount under the minimum', '/v1/payment_intents', 'amount=10&currency=usd', 'amount_too_small', 'amount'],
    [
      'a customer that does not exist',
      '/v1/payment_intents',
      'amount=100&currency=usd&customer=cus_nobody',
      'resource_missing',
      'customer',
    ],
    ['a conflicting key', '/v1/customers', 'email=a&email[b]=c', undefined, 'email[b]'],
  ])('%s', async (_case, path, body, code, param) => {
    const response = await emulator.raw(path, { body });
    expect(response.status).toBe(400);
    const { error } = response.json();
    expect(error).toMatchObject({ type: 'invalid_request_error', param });
    if (code) expect(error!.code).toBe(code);
    expect(error!.message!.length).toBeGreaterThan(0);
  });

  it('the SDK sees these as StripeInvalidRequestError with param', async () => {
    const stripe = emulator.stripe();
    expect(await stripeError(stripe.paymentIntents.create({ amount: 100 } as never))).toMatchObject({
      type: 'StripeInvalidRequestError',
      param: 'currency',
      code: 'parameter_missing',
    });
    expect(await stripeError(stripe.customers.retrieve('cus_missing'))).toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'id',
    });
    expect(await stripeError(stripe.paymentIntents.retrieve('pi_123', { expand: ['nothing_here'] }))).toMatchObject({
      statusCode: 404,
    });
  });

  it('an unknown URL is 404 as Stripe words it; a bad expand is 400 on expand', async () => {
    const unknown = await emulator.raw('/v1/nothing', { method: 'GET' });
    expect(unknown.status).toBe(404);
    expect(unknown.json().error!.message).toMatch(/^Unrecognized request URL \(GET: \/v1\/nothing\)/);
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create({});
    expect(await stripeError(stripe.customers.retrieve(customer.id, { expand: ['email'] }))).toMatchObject({
      statusCode: 400,
      param: 'expand',
    });
  });

  it('a body over 1 MB is refused with 413, and the server carries on', async () => {
    const response = await emulator.raw('/v1/customers', { body: `description=${'x'.repeat(1_100_000)}` });
    expect(response.status).toBe(413);
    expect((await emulator.raw('/v1/customers', { method: 'GET' })).status).toBe(200);
  });

  it('a thousand random bodies, paths and headers: never a 500, and the server still answers', async () => {
    const paths = [
      '/v1/customers',
      '/v1/payment_intents',
      '/v1/payment_intents/pi_x/confirm',
      '/v1/refunds',
      '/v1/setup_intents',
      '/v1/charges',
      '/v1/tokens',
      '/v1/payment_methods',
      '/v1/customers/cus_x/sources',
      '/v1/charges/search',
      '/authenticate/x',
    ];
    const pieces = [
      'amount',
      'currency',
      'customer',
      '[',
      ']',
      '[0]',
      '[]',
      '=',
      '&',
      '%',
      '%zz',
      '__proto__',
      'metadata',
      'expand',
      'confirm',
      'true',
      '-1',
      '1e9',
      'usd',
      'tok_visa',
      'pm_card_visa',
      '\u0000',
      'é',
      'query',
      "metadata['x']:'y'",
    ];
    const key = newKey();
    const statuses = new Set<number>();
    for (let i = 0; i < 1_000; i++) {
      const body =
        Array.from({ length: 1 + (i % 12) }, () => pieces[randomBytes(1)[0]! % pieces.length]).join('') +
        (i % 7 === 0 ? randomBytes(16).toString('latin1') : '');
      const path = paths[i % paths.length]!;
      const method = i % 5 === 0 ? 'GET' : 'POST';
      const response = await emulator.raw(method === 'GET' ? `${path}?${body}` : path, {
        method,
        key,
        ...(method === 'POST' && { body }),
        ...(i % 3 === 0 && { headers: { 'idempotency-key': Buffer.from(body).toString('hex').slice(0, 40) } }),
      });
      statuses.add(response.status);
      expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
    }
    expect([...statuses].every((status) => [200, 303, 400, 402, 404, 405].includes(status))).toBe(true);
    expect((await emulator.raw('/v1/customers', { method: 'GET', key })).status).toBe(200);
  });
});
