import { z } from 'zod';
import type { Account } from './account.js';
import { chargeOf, renderCharge, type ChargeRecord } from './charges.js';
import type { Stored } from './collection.js';
import { invalidRequest, resourceMissing, unexpectedState } from './errors.js';
import { emit } from './events.js';
import { registerExpandable } from './expand.js';
import { newId } from './ids.js';
import { id, integer, listShape, mergeMetadata, metadata, oneOf, parse } from './params.js';
import { paymentIntentOf } from './payment-intents.js';
import type { Route } from './router.js';

export interface RefundRecord extends Stored {
  amount: number;
  charge: ChargeRecord;
  reason: string | null;
  metadata: Record<string, string>;
  status: 'pending' | 'succeeded' | 'failed';
  failureReason: string | null;
}

export function renderRefund(refund: RefundRecord): object {
  return {
    id: refund.id,
    object: 'refund',
    amount: refund.amount,
    balance_transaction: `txn_${refund.id.slice(3)}`,
    charge: refund.charge.id,
    created: refund.created,
    currency: refund.charge.currency,
    customer: refund.charge.customer,
    customer_account: null,
    destination_details: { card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
    metadata: refund.metadata,
    payment_intent: refund.charge.paymentIntent,
    payment_method: refund.charge.saved.id,
    reason: refund.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: refund.status,
    transfer_reversal: null,
    ...(refund.failureReason && { failure_reason: refund.failureReason }),
  };
}

/** A charge's refunds, newest first, as the list on the charge. */
export function refundsOf(account: Account, chargeId: string) {
  return account.refunds.list({ limit: 100 }, `/v1/charges/${chargeId}/refunds`, renderRefund, (refund) => refund.charge.id === chargeId);
}

registerExpandable('re', (account, refundId) => {
  const refund = account.refunds.get(refundId);
  return refund && renderRefund(refund);
});

const createParams = z.strictObject({
  charge: id.optional(),
  payment_intent: id.optional(),
  amount: integer.optional(),
  reason: oneOf(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
  metadata: metadata.optional(),
});

/** The charge a refund is for: named, or the PaymentIntent's successful charge. */
function refundedCharge(account: Account, input: z.output<typeof createParams>): ChargeRecord {
  if (input.charge !== undefined) return chargeOf(account, input.charge, 'charge');
  if (input.payment_intent === undefined) throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', { code: 'parameter_missing' });
  const intent = paymentIntentOf(account, input.payment_intent, 'payment_intent');
  const charge = intent.status === 'succeeded' && intent.latestCharge ? account.charges.get(intent.latestCharge) : undefined;
  if (!charge) {
    throw invalidRequest(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, { param: 'payment_intent', code: 'charge_not_refundable' });
  }
  return charge;
}

/**
 * A refund of a refund test card ends "some time later", as Stripe's do: a pending one succeeds or
 * fails, a succeeded one fails (the bank could not return the money, which goes back to the charge).
 * Stripe announces it with refund.updated (and refund.failed) and charge.refund.updated.
 */
export function settleRefund(account: Account, refund: RefundRecord, outcome: 'succeeded' | 'failed', failureReason = 'expired_or_canceled_card'): object {
  const allowed = refund.status === 'pending' || (refund.status === 'succeeded' && outcome === 'failed');
  if (!allowed) throw unexpectedState(`This refund's status is ${refund.status}; it cannot become ${outcome}.`, 'refund_unexpected_state');
  const previous = renderRefund(refund) as { status: string };
  refund.status = outcome;
  if (outcome === 'failed') {
    refund.failureReason = failureReason;
    refund.charge.amountRefunded -= refund.amount;
  }
  const rendered = renderRefund(refund);
  emit(account, 'refund.updated', rendered, { status: previous.status });
  if (outcome === 'failed') emit(account, 'refund.failed', rendered, { status: previous.status });
  emit(account, 'charge.refund.updated', rendered, { status: previous.status });
  return rendered;
}

export const refundRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/refunds',
    handler({ account, params }) {
      const input = parse(createParams, params);
      const charge = refundedCharge(account, input);
      if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${charge.id} has not succeeded and cannot be refunded.`, { code: 'charge_not_refundable' });
      const remaining = charge.amount - charge.amountRefunded;
      if (remaining === 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
      const amount = input.amount ?? remaining;
      if (amount <= 0) throw invalidRequest('Invalid positive integer', { param: 'amount', code: 'parameter_invalid_integer' });
      if (amount > remaining) {
        throw invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, { param: 'amount', code: 'amount_too_large' });
      }
      const before = charge.amountRefunded;
      charge.amountRefunded += amount;
      const status = charge.saved.card.refund === 'pending' ? 'pending' : 'succeeded';
      const refund = account.refunds.add({ id: newId('re'), created: account.seconds(), amount, charge, reason: input.reason ?? null, metadata: mergeMetadata({}, input.metadata), status, failureReason: null });
      emit(account, 'refund.created', renderRefund(refund));
      emit(account, 'charge.refunded', renderCharge(account, charge), { amount_refunded: before, refunded: false });
      return renderRefund(refund);
    },
  },
  {
    method: 'GET',
    path: '/v1/refunds',
    handler({ account, params }) {
      const query = parse(z.strictObject({ ...listShape, charge: id.optional(), payment_intent: id.optional() }), params);
      return account.refunds.list(
        query,
        '/v1/refunds',
        renderRefund,
        (refund) => (query.charge === undefined || refund.charge.id === query.charge) && (query.payment_intent === undefined || refund.charge.paymentIntent === query.payment_intent),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/refunds/:id',
    handler({ account, path }) {
      const refund = account.refunds.get(path.id!);
      if (!refund) throw resourceMissing('refund', path.id!);
      return renderRefund(refund);
    },
  },
  {
    method: 'POST',
    path: '/v1/refunds/:id',
    handler({ account, path, params }) {
      const input = parse(z.strictObject({ metadata: metadata.optional() }), params);
      const refund = account.refunds.get(path.id!);
      if (!refund) throw resourceMissing('refund', path.id!);
      refund.metadata = mergeMetadata(refund.metadata, input.metadata);
      return renderRefund(refund);
    },
  },
];
