import { z } from 'zod';
import { callbackService, type Outcome } from '../lib/callback-service.js';
import type { ServiceDeps } from '../lib/service-env.js';
import { expectStripeObject, Stripe } from '../lib/stripe-client.js';

/** `refundPurchase` in callbacks.yml: { createdNode { id amount reason status purchase { id stripePaymentIntentId } } } */
const newRefund = z.object({
  id: z.string().min(1),
  amount: z.number().int().positive(),
  reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).nullable(),
  status: z.string(),
  purchase: z.object({ id: z.string().min(1), stripePaymentIntentId: z.string().nullable() }),
});

const SETTLE_REFUND = `mutation($id: ID!, $status: RefundStatus!, $re: String, $code: String, $message: String) {
  settleRefund(id: $id, status: $status, stripeRefundId: $re, failureCode: $code, failureMessage: $message) { id } }`;
const STATUS: Record<string, string> = { succeeded: 'SUCCEEDED', failed: 'FAILED', canceled: 'FAILED' };

/**
 * On Refund.created: the refund made at Stripe once, however often this is delivered (found by
 * `metadata.refundId` first, then keyed by the refund's id), and Stripe's answer written back.
 */
export function refundHandler(deps: ServiceDeps) {
  const { stripe, paygraph } = deps;
  return callbackService({
    name: 'charge-customer',
    signingSecret: deps.signingSecret,
    logger: deps.logger,
    node: newRefund,
    async handle(refund): Promise<Outcome> {
      if (refund.status !== 'PENDING') return { status: 200, body: { skipped: `already ${refund.status}` } };
      const paymentIntent = refund.purchase.stripePaymentIntentId;
      if (!paymentIntent) throw new Error('refund of a purchase without a PaymentIntent');
      try {
        const existing = (await stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 })).data.find((made) => made.metadata?.refundId === refund.id);
        const made =
          existing ??
          expectStripeObject(
            await stripe.refunds.create(
              { payment_intent: paymentIntent, amount: refund.amount, ...(refund.reason && { reason: refund.reason }), metadata: { refundId: refund.id, purchaseId: refund.purchase.id } },
              { idempotencyKey: `refund:${refund.id}` },
            ),
            'refund',
          );
        const status = STATUS[made.status ?? ''] ?? 'PENDING';
        await paygraph(SETTLE_REFUND, { id: refund.id, status, re: made.id, code: made.failure_reason ?? null });
        return { status: 200, body: { refund: refund.id, stripeRefund: made.id, status } };
      } catch (error) {
        // Stripe refuses the refund itself (more than remains, a disputed charge): final.
        if (!(error instanceof Stripe.errors.StripeInvalidRequestError) || (error.statusCode ?? 400) >= 500) throw error;
        await paygraph(SETTLE_REFUND, { id: refund.id, status: 'FAILED', code: error.code ?? error.type, message: error.message });
        return { status: 200, body: { refund: refund.id, failed: error.code ?? error.type } };
      }
    },
  });
}
