import type { Account } from './account.js';
import type { ChargeRecord } from './charges.js';
import type { Stored } from '../collection.js';
import { unexpectedState } from '../errors.js';
import { emit } from './events.js';
import { registerExpandable } from './expand.js';

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
    destination_details: {
      card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' },
      type: 'card',
    },
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
  return account.refunds.list(
    { limit: 100 },
    `/v1/charges/${chargeId}/refunds`,
    renderRefund,
    (refund) => refund.charge.id === chargeId,
  );
}

registerExpandable('re', (account, refundId) => {
  const refund = account.refunds.get(refundId);
  return refund && renderRefund(refund);
});

/**
 * A refund of a refund test card ends "some time later", as Stripe's do: a pending one succeeds or
 * fails, a succeeded one fails (the bank could not return the money, which goes back to the charge).
 * Stripe announces it with refund.updated (and refund.failed) and charge.refund.updated.
 */
export function settleRefund(
  account: Account,
  refund: RefundRecord,
  outcome: 'succeeded' | 'failed',
  failureReason = 'expired_or_canceled_card',
): object {
  const allowed = refund.status === 'pending' || (refund.status === 'succeeded' && outcome === 'failed');
  if (!allowed)
    throw unexpectedState(
      `This refund's status is ${refund.status}; it cannot become ${outcome}.`,
      'refund_unexpected_state',
    );
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
