import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, startEmulator, stripeError, type Emulator } from './support/harness.js';

describe('stripe-local: restricted keys (docs/keys, limiting access with restricted API keys)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  /** An account, and a restricted key of it made through the test-only control with these permissions. */
  async function restrictedKey(permissions: Record<string, string>, key?: string) {
    const secret = emulator.stripe(newKey());
    const params: Record<string, string> = { ...(key && { key }) };
    for (const [resource, level] of Object.entries(permissions)) params[`permissions[${resource}]`] = level;
    const made = await emulator.control(secret, 'POST', 'restricted_keys', params);
    return { secret, restricted: emulator.stripe(made.key as string), key: made.key as string };
  }

  it('works within its permissions, on its own account only', async () => {
    const { secret, restricted } = await restrictedKey({ customer: 'read', payment_intent: 'write' });
    const customer = await secret.customers.create({ email: 'rk@example.com' });
    expect((await restricted.customers.retrieve(customer.id)).id).toBe(customer.id);
    const intent = await restricted.paymentIntents.create({
      amount: 900,
      currency: 'usd',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect(intent.status).toBe('succeeded');
    // write implies read
    expect((await restricted.paymentIntents.retrieve(intent.id)).id).toBe(intent.id);
    expect((await secret.paymentIntents.retrieve(intent.id)).status).toBe('succeeded');
  });

  it("outside its permissions: 403 with Stripe's permission error, not an invalid key", async () => {
    const { restricted, key } = await restrictedKey({ customer: 'read' });
    const refused = await stripeError(restricted.customers.create({}));
    expect(refused).toMatchObject({ statusCode: 403, type: 'StripePermissionError' });
    expect(refused.message).toMatch(
      /^The provided key 'rk_test_\*+[A-Za-z0-9]{6}' does not have the required permissions for this endpoint on account 'acct_[0-9a-f]+'\. Having the 'rak_customer_write' permission would allow this request to continue\.$/,
    );
    expect(refused.message).not.toContain(key);
    expect((await stripeError(restricted.charges.list())).message).toContain("'rak_charge_read'");
    const control = await stripeError(emulator.control(restricted, 'POST', 'clock/advance', { seconds: 60 }));
    expect(control.message).toContain("'rak_test_helper_write'");
    expect(
      (await stripeError(restricted.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } }))).statusCode,
    ).toBe(403);
  });

  it('a key chosen by the test, re-permitted by calling the control again', async () => {
    const key = `rk_test_${newKey().slice('sk_test_'.length)}`;
    const { secret, restricted } = await restrictedKey({}, key);
    expect((await stripeError(restricted.customers.list())).statusCode).toBe(403);
    await emulator.control(secret, 'POST', 'restricted_keys', { key, 'permissions[customer]': 'write' });
    expect((await restricted.customers.create({})).object).toBe('customer');
    await emulator.control(secret, 'POST', 'restricted_keys', { key, 'permissions[customer]': 'none' });
    expect((await stripeError(restricted.customers.list())).statusCode).toBe(403);
  });

  it('a restricted key no account made is an invalid key (401)', async () => {
    const response = await emulator.raw('/v1/customers', { method: 'GET', key: 'rk_test_neverMadeByAnyAccount123' });
    expect(response.status).toBe(401);
    expect(response.json().error!.message).toMatch(/^Invalid API Key provided: /);
  });

  it('the control refuses an unknown permission name', async () => {
    const secret = emulator.stripe(newKey());
    const refused = await stripeError(
      emulator.control(secret, 'POST', 'restricted_keys', { 'permissions[invoice]': 'read' }),
    );
    expect(refused).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'permissions[invoice]' });
  });
});
