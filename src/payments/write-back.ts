import { badInput, conflict } from '../errors.js';
import type { Purchase } from '../generated/prisma/client.js';
import type { PurchaseStatus } from '../generated/prisma/enums.js';
import { nextPurchaseState, type PaymentFact } from './purchase-state.js';

/** charge-customer's write-back (`updatePurchase`): what it may say, and what it changes. */
export type WriteBack = {
  isPaid?: boolean | null;
  status?: PurchaseStatus | null;
  stripeChargeId?: string | null;
  stripePaymentIntentId?: string | null;
  clientSecret?: string | null;
  failureCode?: string | null;
  failureMessage?: string | null;
};

// Refunds and disputes are Stripe's to report (src/stripe-webhook); a service settles the payment itself.
const SERVICE_STATUSES: Partial<Record<PurchaseStatus, PaymentFact['kind']>> = {
  PAID: 'succeeded',
  FAILED: 'failed',
  REQUIRES_ACTION: 'requires_action',
  PROCESSING: 'processing',
};

/** charge-customer's write-back as a payment fact; null when it only annotates the failure. */
function factOf(change: WriteBack): PaymentFact | null {
  if (change.isPaid != null && change.status && change.isPaid !== (change.status === 'PAID')) {
    throw badInput('isPaid and status disagree: a paid purchase has status PAID');
  }
  const status = change.status ?? (change.isPaid ? 'PAID' : change.isPaid === false ? 'FAILED' : null);
  if (!status) return null;
  const kind = SERVICE_STATUSES[status];
  if (!kind) throw badInput(`Status ${status} is set from Stripe's events, not written by a service`);
  const ids = { paymentIntentId: change.stripePaymentIntentId, chargeId: change.stripeChargeId };
  return {
    kind,
    ...ids,
    clientSecret: change.clientSecret,
    code: change.failureCode,
    message: change.failureMessage,
  } as PaymentFact;
}

/** The money rules of a write-back: a paid purchase stays paid, and keeps the one charge it was paid with. */
export function settle(previous: Purchase, change: WriteBack) {
  const fact = factOf(change);
  if (!fact) {
    if (previous.isPaid) throw conflict('The purchase is already paid');
    return {
      failureCode: change.failureCode ?? previous.failureCode,
      failureMessage: change.failureMessage ?? previous.failureMessage,
    };
  }
  if (previous.isPaid && fact.kind !== 'succeeded') throw conflict('The purchase is already paid');
  const transition = nextPurchaseState(previous, fact);
  if (transition.result === 'conflict') throw conflict(transition.reason);
  return transition.result === 'changed' ? transition.data : {};
}
