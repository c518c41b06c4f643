import type { Account } from './account.js';
import type { ChargeRecord } from './charges.js';
import type { Stored } from '../collection.js';
import { emit } from './events.js';
import { registerExpandable } from './expand.js';
import { newId } from '../ids.js';

export interface DisputeRecord extends Stored {
  charge: ChargeRecord;
  status: 'needs_response' | 'warning_needs_response' | 'lost' | 'warning_closed';
  metadata: Record<string, string>;
}

const EVIDENCE_FIELDS = [
  'access_activity_log',
  'billing_address',
  'cancellation_policy',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'customer_communication',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'customer_signature',
  'duplicate_charge_documentation',
  'duplicate_charge_explanation',
  'duplicate_charge_id',
  'product_description',
  'receipt',
  'refund_policy',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'service_date',
  'service_documentation',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_documentation',
  'shipping_tracking_number',
  'uncategorized_file',
  'uncategorized_text',
];
const DAY = 86_400;

/**
 * `pm_card_createDispute` (fraudulent), `…ProductNotReceived`, `…Inquiry`: the cardholder disputes the payment
 * right after it succeeds; an inquiry is a warning before any chargeback (docs/disputes/how-disputes-work).
 */
export function openDispute(account: Account, charge: ChargeRecord): DisputeRecord {
  const dispute = account.disputes.add({
    id: newId('dp'),
    created: account.seconds(),
    charge,
    status: charge.saved.card.dispute === 'inquiry' ? 'warning_needs_response' : 'needs_response',
    metadata: {},
  });
  charge.dispute = dispute.id;
  emit(account, 'charge.dispute.created', renderDispute(dispute));
  return dispute;
}

// Visa's reason codes: 10.4 card-absent fraud, 13.1 merchandise not received; an inquiry has none yet.
const NETWORK_REASON_CODES = { fraudulent: '10.4', product_not_received: '13.1', inquiry: null };

export function renderDispute(dispute: DisputeRecord): object {
  const { charge } = dispute;
  const reason = charge.saved.card.dispute ?? 'fraudulent';
  return {
    id: dispute.id,
    object: 'dispute',
    amount: charge.amount,
    balance_transactions: [],
    charge: charge.id,
    created: dispute.created,
    currency: charge.currency,
    enhanced_eligibility_types: [],
    evidence: { ...Object.fromEntries(EVIDENCE_FIELDS.map((field) => [field, null])), enhanced_evidence: {} },
    evidence_details: {
      due_by: dispute.created + 7 * DAY,
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
    },
    is_charge_refundable: false,
    livemode: false,
    metadata: dispute.metadata,
    payment_intent: charge.paymentIntent,
    payment_method_details: {
      card: {
        brand: charge.saved.card.network,
        case_type: reason === 'inquiry' ? 'inquiry' : 'chargeback',
        network_reason_code: NETWORK_REASON_CODES[reason],
      },
      type: 'card',
    },
    // An inquiry's reason is the cardholder's question, `general` for the test card.
    reason: reason === 'inquiry' ? 'general' : reason,
    status: dispute.status,
  };
}

registerExpandable('dp', (account, disputeId) => {
  const dispute = account.disputes.get(disputeId);
  return dispute && renderDispute(dispute);
});
