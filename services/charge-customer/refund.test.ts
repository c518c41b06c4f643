import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stripe } from '../lib/stripe-client.js';
import type { FakePaygraph } from '../../packages/testing/fake-paygraph.js';
import { sendCallback } from '../../packages/testing/send-callback.js';
import { startServiceHarness, type ServiceHarness } from '../../packages/testing/service-harness.js';
import { chargeCustomerHandler } from './index.js';

const TOKEN = 'pgt_refund_test';

// A refund is made at Stripe once however often it is delivered; Stripe's "no" is final and recorded,
// its "not now" (429, 409) is retried. Counted at the Stripe side.
describe('charge-customer /refund', () => {
  let harness: ServiceHarness;
  let api: FakePaygraph;
  let stripe: Stripe;
  let refundUrl: string;
  beforeAll(async () => {
    harness = await startServiceHarness(chargeCustomerHandler, TOKEN);
    ({ api, stripe } = harness);
    refundUrl = new URL('refund', harness.url).toString();
  });
  afterAll(() => harness?.stop());

  /** A purchase paid with a PaymentIntent, as charge-customer leaves it. */
  const paidIntent = async (amount = 5_000) => {
    const customer = await stripe.customers.create({ email: `${randomUUID()}@example.com` });
    return stripe.paymentIntents.create({
      amount,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      off_session: true,
    });
  };
  /** The payload of refundPurchase in callbacks.yml. */
  const newRefund = (intent: Stripe.PaymentIntent, amount: number) => ({
    id: `ref_${randomUUID().slice(0, 8)}`,
    amount,
    reason: null,
    status: 'PENDING',
    purchase: { id: `pur_${randomUUID().slice(0, 8)}`, stripePaymentIntentId: intent.id },
  });
  const refundsAt = async (intent: Stripe.PaymentIntent) =>
    (await stripe.refunds.list({ payment_intent: intent.id })).data;
  const settled = (refundId: string) => api.writes('settleRefund', refundId);

  it('delivered three times at once and again later: one refund at Stripe, every write-back names it', async () => {
    const intent = await paidIntent();
    const refund = newRefund(intent, 2_000);
    const answers = await Promise.all([1, 2, 3].map(() => sendCallback(refundUrl, refund)));
    expect(answers.every((answer) => answer.status === 200 || answer.status === 409)).toBe(true);
    expect((await sendCallback(refundUrl, refund, { attempt: 2 })).status).toBe(200);
    const made = await refundsAt(intent);
    expect(made.map((entry) => [entry.amount, entry.metadata?.refundId])).toEqual([[2_000, refund.id]]);
    expect(new Set(settled(refund.id).map((write) => write.re))).toEqual(new Set([made[0]!.id]));
  });

  it('redelivered after Stripe forgot the idempotency key: the refund carrying its id is found, not made again', async () => {
    const intent = await paidIntent();
    const refund = newRefund(intent, 1_000);
    const earlier = await stripe.refunds.create({
      payment_intent: intent.id,
      amount: 1_000,
      metadata: { refundId: refund.id },
    });
    expect(await sendCallback(refundUrl, refund, { createdAt: new Date(Date.now() - 3 * 86_400_000) })).toMatchObject({
      status: 200,
      body: { stripeRefund: earlier.id },
    });
    expect(await refundsAt(intent)).toHaveLength(1);
  });

  it.each([
    ['already refunded in full elsewhere', 5_000, 'charge_already_refunded'],
    ['more than remains after a refund made elsewhere', 4_000, 'amount_too_large'],
  ])("Stripe refuses it for good (%s): 200 and FAILED with Stripe's code", async (_case, elsewhere, code) => {
    const intent = await paidIntent();
    await stripe.refunds.create({ payment_intent: intent.id, amount: elsewhere });
    const refund = newRefund(intent, 2_000);
    expect(await sendCallback(refundUrl, refund)).toMatchObject({ status: 200, body: { failed: code } });
    expect(settled(refund.id)).toEqual([
      expect.objectContaining({ status: 'FAILED', code, message: expect.any(String) }),
    ]);
  });

  it.each([
    [
      'rate limited',
      429,
      { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly.' },
      503,
    ],
    [
      'a lock timeout',
      429,
      {
        type: 'invalid_request_error',
        code: 'lock_timeout',
        message:
          'This object cannot be accessed right now because another API request or Stripe process is currently accessing it.',
      },
      503,
    ],
    [
      'the same key in flight',
      409,
      {
        type: 'idempotency_error',
        message: 'There is currently another in-progress request using this Stripe API key and idempotency key.',
      },
      409,
    ],
  ] as const)(
    'Stripe says not now (%s, HTTP %i): retried, nothing recorded, and the retry refunds once',
    async (_case, status, error, answer) => {
      const intent = await paidIntent();
      const refund = newRefund(intent, 500);
      // The SDK retries a 409 once by itself, so it must come twice to reach the service.
      harness.gateway.answerNext('POST', '/v1/refunds', status === 409 ? 2 : 1, status, error);
      expect((await sendCallback(refundUrl, refund)).status).toBe(answer);
      expect(settled(refund.id)).toEqual([]);
      expect(await sendCallback(refundUrl, refund, { attempt: 2 })).toMatchObject({
        status: 200,
        body: { status: 'SUCCEEDED' },
      });
      expect(await refundsAt(intent)).toHaveLength(1);
    },
  );
});
