import type { Account } from './account.js';
import { invalidRequest, unexpectedState } from '../errors.js';
import { emit } from './events.js';
import { renderCharge, settleAuthorization } from './charges.js';
import { renderPaymentIntent, type PaymentIntentRecord } from './payment-intents.js';

/**
 * Captures a `requires_capture` PaymentIntent (api/payment_intents/capture): all that it holds, or
 * `amount_to_capture` of it with the rest released; then `charge.captured` and `payment_intent.succeeded`.
 */
export function capturePaymentIntent(
  account: Account,
  intent: PaymentIntentRecord,
  amountToCapture: number | undefined,
): object {
  if (intent.status !== 'requires_capture') {
    throw unexpectedState(
      `This PaymentIntent could not be captured because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
    );
  }
  const amount = amountToCapture ?? intent.amountCapturable;
  if (amount < 1 || amount > intent.amountCapturable) {
    throw invalidRequest(
      `The amount_to_capture must be a positive integer no greater than the amount_capturable (${intent.amountCapturable}).`,
      { param: 'amount_to_capture' },
    );
  }
  const charge = settleAuthorization(account, intent.latestCharge!, amount);
  intent.amountCapturable = 0;
  intent.amountReceived = amount;
  intent.status = 'succeeded';
  emit(account, 'charge.captured', renderCharge(account, charge));
  const rendered = renderPaymentIntent(account, intent);
  emit(account, 'payment_intent.succeeded', rendered);
  return rendered;
}
