import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, stripeError, type Emulator } from './support/harness.js';

describe('stripe-local: keys and accounts', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it('objects made with one key are invisible to another', async () => {
    const [alice, bob] = [emulator.stripe(), emulator.stripe()];
    const customer = await alice.customers.create({ email: 'only-alice@example.com' });
    const missing = await stripeError(bob.customers.retrieve(customer.id));
    expect(missing).toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'id',
      message: `No such customer: '${customer.id}'`,
    });
    expect((await bob.customers.list({ email: 'only-alice@example.com' })).data).toEqual([]);
    expect((await alice.customers.list({ email: 'only-alice@example.com' })).data.map((c) => c.id)).toEqual([
      customer.id,
    ]);
    expect((await bob.events.list()).data).toEqual([]);
  });

  it("no key: 401 with Stripe's message", async () => {
    const response = await emulator.raw('/v1/customers', { method: 'GET', key: null });
    expect(response.status).toBe(401);
    expect(response.json().error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringMatching(/^You did not provide an API key/),
    });
  });

  it.each([['sk_test_'], ['pk_test_'], ['rk_test_'], ['sk_test_bad key!'], ['nonsense']])(
    'a malformed key (%s): 401 naming it masked',
    async (key) => {
      const response = await emulator.raw('/v1/customers', { method: 'GET', key });
      expect(response.status).toBe(401);
      expect(response.json().error!.message).toMatch(/^Invalid API Key provided: /);
      expect(response.text).not.toContain(key.length > 12 ? key : '\u0000');
    },
  );

  it('a live key is refused everywhere, the test-only control path included', async () => {
    const live = emulator.stripe('sk_live_abcdefghijklmnop');
    const refused = await stripeError(live.customers.create({}));
    expect(refused).toMatchObject({
      statusCode: 401,
      message: expect.stringMatching(/test-mode keys \(sk_test_\.\.\.\) only/),
    });
    expect(
      (
        await emulator.raw('/v1/test_helpers/stripe_local/clock/advance', {
          key: 'sk_live_abcdefghijklmnop',
          body: 'seconds=60',
        })
      ).status,
    ).toBe(401);
  });

  it('Basic auth works too, the key as user name', async () => {
    const response = await emulator.raw('/v1/customers', {
      method: 'GET',
      key: null,
      headers: { authorization: `Basic ${Buffer.from('sk_test_basic:').toString('base64')}` },
    });
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ object: 'list', data: [] });
  });
});
