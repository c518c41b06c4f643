import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargesFor, listen, startPaymentStack } from '../../test/support/payment-stack.js';
import { TEST_SIGNING_SECRET } from '../../test/support/paygraph.js';
import { eventually } from '../../test/support/receiver.js';
import { sendCallback } from '../../test/support/sign.js';
import { paygraphClient } from '../lib/paygraph-client.js';
import { chargeCustomerHandler } from './index.js';

// A purchase is charged at most once, whatever happens: counted on the Stripe side.
describe('charge-customer never charges twice', () => {
  let stack: Awaited<ReturnType<typeof startPaymentStack>>;
  let customer: { userId: string; token: string; stripeId: string };

  beforeAll(async () => {
    stack = await startPaymentStack();
    const user = await stack.app.signUp();
    await stack.app.graphql('mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }', { u: user.userId }, user.token);
    const { stripeId } = await eventually(
      () => stack.app.db.user.findUniqueOrThrow({ where: { id: user.userId } }),
      (row) => row.stripeId !== null,
    );
    customer = { ...user, stripeId: stripeId! };
  });
  afterAll(() => stack.stop());

  /** A purchase written straight to the database: no callback fires, the test sends them. */
  const quietPurchase = async (amount = 1_000) => {
    const row = await stack.app.db.purchase.create({ data: { amount, description: 'Quiet', userId: customer.userId } });
    return { id: row.id, amount, currency: 'usd', description: 'Quiet', isPaid: false, user: { id: customer.userId, stripeId: customer.stripeId } };
  };
  const paidWith = async (purchaseId: string) => (await stack.app.db.purchase.findUniqueOrThrow({ where: { id: purchaseId } })).stripeChargeId;

  it('the same callback delivered twice: one charge', async () => {
    const purchase = await quietPurchase();
    expect((await sendCallback(stack.chargeCustomerUrl, purchase)).status).toBe(200);
    expect((await sendCallback(stack.chargeCustomerUrl, purchase)).status).toBe(200);
    const charges = await chargesFor(stack.stripe, purchase.id);
    expect(charges).toHaveLength(1);
    expect(await paidWith(purchase.id)).toBe(charges[0]!.id);
  });

  it('five deliveries at once: one charge', async () => {
    const purchase = await quietPurchase();
    const statuses = await Promise.all(Array.from({ length: 5 }, () => sendCallback(stack.chargeCustomerUrl, purchase).then((r) => r.status)));
    // Each either charged, or was told to come back later (a concurrent request with the same key).
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    expect(await chargesFor(stack.stripe, purchase.id)).toHaveLength(1);
  });

  it('a crash between the charge and the write-back: the redelivery settles with the same charge', async () => {
    const purchase = await quietPurchase(4_321);
    const apiDown = await listen(
      chargeCustomerHandler({
        stripe: stack.stripe,
        paygraph: paygraphClient('http://127.0.0.1:9/graphql', 'pgt_unreachable'),
        signingSecret: TEST_SIGNING_SECRET,
        logger: pino({ level: 'silent' }),
      }),
    );
    expect((await sendCallback(apiDown.url, purchase)).status).toBe(503);
    await apiDown.close();
    expect(await chargesFor(stack.stripe, purchase.id)).toHaveLength(1);
    expect(await paidWith(purchase.id)).toBeNull();

    expect((await sendCallback(stack.chargeCustomerUrl, purchase)).status).toBe(200);
    const charges = await chargesFor(stack.stripe, purchase.id);
    expect(charges).toHaveLength(1);
    expect(await paidWith(purchase.id)).toBe(charges[0]!.id);
  });

  it('delivered again days later, when Stripe has forgotten the idempotency key: the existing charge is found', async () => {
    const purchase = await quietPurchase(999);
    // A charge made days ago, under a key Stripe no longer remembers.
    const earlier = await stack.stripe.charges.create({ amount: 999, currency: 'usd', customer: customer.stripeId, metadata: { purchaseId: purchase.id } });
    const daysLater = await sendCallback(stack.chargeCustomerUrl, purchase, { createdAt: new Date(Date.now() - 3 * 86_400_000) });
    expect(daysLater.status).toBe(200);
    expect(await chargesFor(stack.stripe, purchase.id)).toHaveLength(1);
    expect(await paidWith(purchase.id)).toBe(earlier.id);
  });

  it('an already settled purchase: 200 and nothing charged', async () => {
    const purchase = await quietPurchase();
    const response = await sendCallback(stack.chargeCustomerUrl, { ...purchase, isPaid: true });
    expect(response).toEqual({ status: 200, body: { skipped: 'already paid' } });
    expect(await chargesFor(stack.stripe, purchase.id)).toHaveLength(0);
  });

  it.each([
    ['forged', { tamper: (body: string) => body.replace('"amount":1000', '"amount":1') }],
    ['signed with another secret', { secret: `whsec_${Buffer.from('not-the-paygraph-secret-32bytes!').toString('base64')}` }],
    ['stale', { timestamp: new Date(Date.now() - 3_600_000) }],
  ])('a %s callback is refused with 401 and charges nothing', async (_case, options) => {
    const purchase = await quietPurchase();
    const response = await sendCallback(stack.chargeCustomerUrl, purchase, options);
    expect(response.status).toBe(401);
    expect(await chargesFor(stack.stripe, purchase.id)).toHaveLength(0);
    expect(await paidWith(purchase.id)).toBeNull();
  });

  it('an unsigned callback is refused with 401', async () => {
    const response = await fetch(stack.chargeCustomerUrl, { method: 'POST', body: '{"data":{}}' });
    expect(response.status).toBe(401);
    expect(await response.text()).not.toMatch(/at .*\.ts/);
  });
});
