import type { Account } from './account.js';
import type { Stored } from '../collection.js';
import { CHARGE_REFUNDS_EXPANDABLE, registerLegacyField } from './api-versions.js';
import { openDispute } from './disputes.js';
import { resourceMissing, type Decline } from '../errors.js';
import { emit } from './events.js';
import { registerExpandable, registerIncludable } from './expand.js';
import { newId } from '../ids.js';
import { renderCard, type CardRecord } from './payment-methods.js';
import { refundsOf } from './refunds.js';
import { cardChecks } from './test-cards.js';

export interface ChargeRecord extends Stored {
  amount: number;
  currency: string;
  customer: string | null;
  paymentIntent: string | null;
  /** The card charged, shared with its saved record: a charge keeps a reference, not a copy. */
  saved: CardRecord;
  status: 'succeeded' | 'failed';
  failure: Decline | null;
  authenticated: boolean;
  description: string | null;
  metadata: Record<string, string>;
  amountRefunded: number;
  /** Less than `amount` while a `manual` payment's authorization waits for its capture, or after a partial one. */
  amountCaptured: number;
  dispute: string | null;
}

const NULL_ADDRESS = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };

export interface NewCharge {
  amount: number;
  currency: string;
  customer: string | null;
  paymentIntent: string | null;
  saved: CardRecord;
  failure: Decline | null;
  authenticated: boolean;
  description: string | null;
  metadata: Record<string, string>;
  /** false: the bank's approval only holds the money (a `manual` PaymentIntent) until it is captured. */
  capture?: boolean;
}

/** A charge as the card's bank decided it, with its events; a test card that disputes opens the dispute at once. */
export function recordCharge(account: Account, { capture = true, ...input }: NewCharge): ChargeRecord {
  const charge = account.charges.add({
    id: newId('ch'),
    created: account.seconds(),
    ...input,
    status: input.failure ? 'failed' : 'succeeded',
    amountRefunded: 0,
    amountCaptured: input.failure || !capture ? 0 : input.amount,
    dispute: null,
  });
  emit(account, charge.status === 'succeeded' ? 'charge.succeeded' : 'charge.failed', renderCharge(account, charge));
  if (charge.status === 'succeeded' && charge.saved.card.dispute) openDispute(account, charge);
  return charge;
}

/**
 * Ends a held charge's authorization: `captured` of it is taken and the rest released, counted in
 * `amount_refunded` as Stripe shows it (docs/payments/place-a-hold-on-a-payment-method); 0 releases it all.
 */
export function settleAuthorization(account: Account, chargeId: string, captured: number): ChargeRecord {
  const charge = chargeOf(account, chargeId);
  charge.amountCaptured = captured;
  charge.amountRefunded = charge.amount - captured;
  return charge;
}

export function renderCharge(account: Account, charge: ChargeRecord): object {
  const { card } = charge.saved;
  const succeeded = charge.status === 'succeeded';
  const captured = charge.amountCaptured > 0;
  const billing = charge.saved.billing;
  return {
    id: charge.id,
    object: 'charge',
    amount: charge.amount,
    amount_captured: charge.amountCaptured,
    amount_refunded: charge.amountRefunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: captured ? `txn_${charge.id.slice(3)}` : null,
    billing_details: {
      address: NULL_ADDRESS,
      email: billing?.email ?? null,
      name: billing?.name ?? null,
      phone: billing?.phone ?? null,
      tax_id: null,
    },
    calculated_statement_descriptor: 'PAYGRAPH LOCAL',
    captured,
    created: charge.created,
    currency: charge.currency,
    customer: charge.customer,
    description: charge.description,
    disputed: charge.dispute !== null,
    failure_balance_transaction: null,
    failure_code: charge.failure?.code ?? null,
    failure_message: charge.failure?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: charge.metadata,
    on_behalf_of: null,
    outcome: succeeded
      ? {
          advice_code: null,
          network_advice_code: null,
          network_decline_code: null,
          network_status: 'approved_by_network',
          reason: null,
          risk_level: card.risk?.level ?? 'normal',
          risk_score: card.risk?.score ?? 20,
          seller_message: 'Payment complete.',
          type: 'authorized',
        }
      : card.risk?.blocked
        ? {
            advice_code: null,
            network_advice_code: null,
            network_decline_code: null,
            network_status: 'not_sent_to_network',
            reason: 'highest_risk_level',
            risk_level: card.risk.level,
            risk_score: card.risk.score,
            seller_message: 'Stripe blocked this payment as too risky.',
            type: 'blocked',
          }
        : {
            advice_code: null,
            network_advice_code: null,
            network_decline_code: null,
            network_status: 'declined_by_network',
            reason: charge.failure?.decline_code ?? charge.failure?.code ?? null,
            risk_level: 'normal',
            risk_score: 20,
            seller_message: 'The bank did not return any further details with this decline.',
            type: 'issuer_declined',
          },
    paid: succeeded,
    payment_intent: charge.paymentIntent,
    payment_method: charge.saved.id,
    payment_method_details: {
      card: {
        amount_authorized: succeeded ? charge.amount : null,
        authorization_code: succeeded ? charge.id.slice(-6).toUpperCase() : null,
        brand: card.network,
        checks: cardChecks(card),
        country: card.country ?? 'US',
        electronic_commerce_indicator: charge.authenticated ? '05' : null,
        exp_month: 12,
        exp_year: new Date().getUTCFullYear() + 5,
        extended_authorization: { status: 'disabled' },
        fingerprint: card.fingerprint,
        funding: card.funding,
        incremental_authorization: { status: 'unavailable' },
        installments: null,
        last4: card.last4,
        mandate: null,
        multicapture: { status: 'unavailable' },
        network: card.network,
        network_token: { used: false },
        network_transaction_id: succeeded ? charge.id.slice(3, 18) : null,
        overcapture: { maximum_amount_capturable: charge.amount, status: 'unavailable' },
        regulated_status: 'unregulated',
        three_d_secure: charge.authenticated
          ? {
              authentication_flow: 'challenge',
              electronic_commerce_indicator: '05',
              exemption_indicator: null,
              result: 'authenticated',
              result_reason: null,
              transaction_id: charge.id,
              version: '2.2.0',
            }
          : null,
        transaction_link_id: null,
        wallet: null,
      },
      type: 'card',
    },
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: charge.amountRefunded === charge.amount,
    review: null,
    shipping: null,
    source: charge.saved.object === 'card' ? renderCard(charge.saved) : null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: charge.status,
    transfer_data: null,
    transfer_group: null,
  };
}

export function chargeOf(account: Account, chargeId: string, param = 'id'): ChargeRecord {
  const charge = account.charges.get(chargeId);
  if (!charge) throw resourceMissing('charge', chargeId, param);
  return charge;
}

// `refunds` is in a charge only when expanded, as on API versions since 2022-11-15 (changelog 2022-11-15);
// older versions always carry it.
const chargeRefunds = (account: Account, charge: { id: string }) => refundsOf(account, charge.id);
registerIncludable('charge', 'refunds', chargeRefunds);
registerLegacyField('charge', 'refunds', CHARGE_REFUNDS_EXPANDABLE, chargeRefunds);

registerExpandable('ch', (account, chargeId) => {
  const charge = account.charges.get(chargeId);
  return charge && renderCharge(account, charge);
});
