import type { z } from 'zod';
import type { Purchase, Refund } from '../generated/prisma/client.js';
import type { chargeShape, disputeShape, paymentIntentShape, refundShape } from './event-shape.js';

/**
 * The money boundary: a verified event moves a purchase only when what it reports is the purchase's
 * own payment, matched against what Paygraph asked Stripe for (Stripe's advice before fulfilling).
 * Each check answers why not, in words an operator reads beside the event ("not applied: ..."), or null.
 */
type PurchaseFacts = Pick<Purchase, 'amount' | 'currency' | 'livemode' | 'stripePaymentIntentId' | 'stripeChargeId'>;
type PaymentIntentFields = z.infer<typeof paymentIntentShape>;

export function modeMismatch(purchase: Pick<Purchase, 'livemode'>, livemode: boolean): string | null {
  return purchase.livemode === livemode
    ? null
    : `a ${livemode ? 'live' : 'test'}-mode event about a ${purchase.livemode ? 'live' : 'test'}-mode purchase`;
}

/**
 * Whether a PaymentIntent is the purchase's own: the one charge-customer recorded, or, before that
 * write-back lands (the event came first), one of the purchase's amount and currency made for its
 * owner's Stripe customer. `metadata.purchaseId` only finds the candidate; anyone can write it.
 */
export function paymentIntentMismatch(
  purchase: PurchaseFacts,
  ownerCustomerId: string | null,
  intent: PaymentIntentFields,
  succeeded: boolean,
): string | null {
  const recorded = purchase.stripePaymentIntentId;
  if (recorded && recorded !== intent.id) return `PaymentIntent ${intent.id} is not the purchase's own (${recorded})`;
  const money = moneyMismatch(purchase, intent.amount, intent.currency, 'PaymentIntent');
  if (money) return money;
  if (succeeded && intent.amount_received != null && intent.amount_received !== purchase.amount) {
    return `PaymentIntent ${intent.id} received ${intent.amount_received}, not the purchase's ${purchase.amount}`;
  }
  if (!recorded && intent.customer !== ownerCustomerId) {
    return `PaymentIntent ${intent.id} is for customer ${intent.customer ?? '(none)'}, not the purchase owner's (${ownerCustomerId ?? 'none yet'})`;
  }
  return null;
}

/** A charge event found the purchase by its recorded ids; its money must still be the purchase's. */
export function chargeMismatch(purchase: PurchaseFacts, charge: z.infer<typeof chargeShape>): string | null {
  if (purchase.stripeChargeId && purchase.stripeChargeId !== charge.id)
    return `charge ${charge.id} is not the purchase's own (${purchase.stripeChargeId})`;
  if (charge.amount_refunded > charge.amount)
    return `charge ${charge.id} refunds ${charge.amount_refunded}, more than its ${charge.amount}`;
  return moneyMismatch(purchase, charge.amount, charge.currency, 'charge');
}

export function disputeMismatch(purchase: PurchaseFacts, dispute: z.infer<typeof disputeShape>): string | null {
  if (dispute.currency !== purchase.currency)
    return `dispute ${dispute.id} is in ${dispute.currency}, not the purchase's ${purchase.currency}`;
  if (dispute.amount > purchase.amount)
    return `dispute ${dispute.id} of ${dispute.amount} is more than the purchase's ${purchase.amount}`;
  return null;
}

/** A refund event moves the refund Paygraph asked for only if it refunds that amount of the purchase's own payment. */
export function refundMismatch(
  purchase: PurchaseFacts,
  asked: Pick<Refund, 'amount' | 'stripeRefundId'>,
  refund: z.infer<typeof refundShape>,
): string | null {
  if (asked.stripeRefundId && asked.stripeRefundId !== refund.id)
    return `refund ${refund.id} is not the one recorded (${asked.stripeRefundId})`;
  const ofIntent = !!refund.payment_intent && refund.payment_intent === purchase.stripePaymentIntentId;
  const ofCharge = !!refund.charge && refund.charge === purchase.stripeChargeId;
  if (!ofIntent && !ofCharge)
    return `refund ${refund.id} is of ${refund.payment_intent ?? refund.charge ?? 'no payment'}, not of the purchase's payment`;
  if (refund.currency !== purchase.currency)
    return `refund ${refund.id} is in ${refund.currency}, not the purchase's ${purchase.currency}`;
  if (refund.amount !== asked.amount)
    return `refund ${refund.id} is of ${refund.amount}, not the ${asked.amount} asked for`;
  return null;
}

/**
 * Only the deployment's own account moves money: a Connect account's event names it in `account`,
 * which is accepted only when it is the account this deployment is configured for (STRIPE_ACCOUNT_ID).
 */
export function accountMismatch(
  eventAccount: string | null | undefined,
  ownAccount: string | undefined,
): string | null {
  if ((eventAccount ?? null) === (ownAccount ?? null)) return null;
  if (!eventAccount) return `an event of the platform account, while this deployment serves ${ownAccount}`;
  return ownAccount
    ? `an event of account ${eventAccount}, while this deployment serves ${ownAccount}`
    : `an event of connected account ${eventAccount}`;
}

function moneyMismatch(purchase: PurchaseFacts, amount: number, currency: string, what: string): string | null {
  if (currency !== purchase.currency) return `${what} is in ${currency}, not the purchase's ${purchase.currency}`;
  if (amount !== purchase.amount) return `${what} is of ${amount}, not the purchase's ${purchase.amount}`;
  return null;
}
