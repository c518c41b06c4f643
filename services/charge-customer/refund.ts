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
// A refund still `pending` (or `requires_action`) is recorded PENDING with its Stripe id and this delivery is
// done: Stripe's refund.updated / refund.failed event at POST /stripe/webhook moves it on when it ends.
const STATUS: Record<string, string> = {
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  canceled: 'FAILED',
  pending: 'PENDING',
  requires_action: 'PENDING',
};
// Codes Stripe sends with a 4xx that says "not now" rather than "no": asked again later, they may pass.
const TRANSIENT_CODES = new Set(['rate_limit', 'lock_timeout', 'token_in_use']);

/**
 * Whether Stripe refused the refund itself, for a reason that asking again cannot change (more than
 * remains, already refunded, a disputed charge, no such payment): final, FAILED with Stripe's code.
 * Everything else is thrown and retried: 429 (rate limits and lock timeouts), 409 (the same key in
 * flight), a reused key with other parameters (a bug, 500), 5xx and connection errors. The SDK makes
 * 429 a StripeRateLimitError and 409 a StripeAPIError, so only 400 and 404 get here.
 */
function refundRefusal(error: unknown): { code: string; message: string } | null {
  if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) return null;
  const code = error.code ?? error.type;
  return TRANSIENT_CODES.has(code) ? null : { code, message: error.message };
}

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
        const existing = (await stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 })).data.find(
          (made) => made.metadata?.refundId === refund.id,
        );
        const made =
          existing ??
          expectStripeObject(
            await stripe.refunds.create(
              {
                payment_intent: paymentIntent,
                amount: refund.amount,
                ...(refund.reason && { reason: refund.reason }),
                metadata: { refundId: refund.id, purchaseId: refund.purchase.id },
              },
              { idempotencyKey: `refund:${refund.id}` },
            ),
            'refund',
          );
        const status = STATUS[made.status ?? ''] ?? 'PENDING';
        await paygraph(SETTLE_REFUND, { id: refund.id, status, re: made.id, code: made.failure_reason ?? null });
        return { status: 200, body: { refund: refund.id, stripeRefund: made.id, status } };
      } catch (error) {
        const refused = refundRefusal(error);
        if (!refused) throw error;
        await paygraph(SETTLE_REFUND, {
          id: refund.id,
          status: 'FAILED',
          code: refused.code,
          message: refused.message,
        });
        return { status: 200, body: { refund: refund.id, failed: refused.code } };
      }
    },
  });
}
