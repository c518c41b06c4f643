import { randomBytes } from 'node:crypto';
import type { Account } from './account.js';
import type { Stored } from '../collection.js';
import { cardError, docUrl, invalidRequest, resourceMissing, unexpectedState } from '../errors.js';
import { emit } from './events.js';
import { registerExpandable } from './expand.js';
import { newId } from '../ids.js';
import { awaitCardholder, nextAction } from './next-action.js';
import { authorize } from './authorization.js';
import { recordCharge, renderCharge, settleAuthorization } from './charges.js';
import { CHARGE_REFUNDS_EXPANDABLE, registerLegacyField } from './api-versions.js';
import type { Decline } from '../errors.js';
import { attach, checkReusable, renderPaymentMethod } from './payment-methods.js';
import { requireReturnUrl, type PaymentMethodChoice } from './automatic-payment-methods.js';

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'succeeded'
  | 'canceled';

/** `manual`: the bank's approval only holds the money until a capture (docs/payments/place-a-hold-on-a-payment-method). */
export type CaptureMethod = 'automatic' | 'automatic_async' | 'manual';
/** `any` and `challenge` ask for 3-D Secure whenever the card supports it (docs/payments/3d-secure). */
export type RequestThreeDSecure = 'automatic' | 'any' | 'challenge';

export interface PaymentIntentRecord extends Stored, PaymentMethodChoice {
  clientSecret: string;
  amount: number;
  currency: string;
  customer: string | null;
  paymentMethod: string | null;
  status: PaymentIntentStatus;
  metadata: Record<string, string>;
  description: string | null;
  receiptEmail: string | null;
  setupFutureUsage: 'off_session' | 'on_session' | null;
  captureMethod: CaptureMethod;
  requestThreeDSecure: RequestThreeDSecure;
  /** What an approved `manual` payment holds until it is captured or canceled. */
  amountCapturable: number;
  amountReceived: number;
  returnUrl: string | null;
  /** The token of the 3-D Secure page while the intent waits for the cardholder. */
  authentication: string | null;
  lastPaymentError: object | null;
  latestCharge: string | null;
  canceledAt: number | null;
  cancellationReason: string | null;
}

export function newPaymentIntent(
  account: Account,
  fields: Omit<
    PaymentIntentRecord,
    | 'id'
    | 'created'
    | 'clientSecret'
    | 'status'
    | 'authentication'
    | 'lastPaymentError'
    | 'latestCharge'
    | 'canceledAt'
    | 'cancellationReason'
    | 'amountCapturable'
    | 'amountReceived'
  >,
): PaymentIntentRecord {
  const intentId = newId('pi');
  return account.paymentIntents.add({
    id: intentId,
    created: account.seconds(),
    clientSecret: `${intentId}_secret_${randomBytes(12).toString('base64url')}`,
    ...fields,
    status: fields.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    authentication: null,
    lastPaymentError: null,
    latestCharge: null,
    canceledAt: null,
    cancellationReason: null,
    amountCapturable: 0,
    amountReceived: 0,
  });
}

export function renderPaymentIntent(account: Account, intent: PaymentIntentRecord): object {
  return {
    id: intent.id,
    object: 'payment_intent',
    amount: intent.amount,
    amount_capturable: intent.amountCapturable,
    amount_details: { tip: {} },
    amount_received: intent.amountReceived,
    application: null,
    application_fee_amount: null,
    // What `allowed_payment_method_types` (API 2026-10-28.endive) or the older `payment_method_types` asked for.
    allowed_payment_method_types: intent.automaticPaymentMethods ? null : intent.paymentMethodTypes,
    automatic_payment_methods: intent.automaticPaymentMethods,
    canceled_at: intent.canceledAt,
    cancellation_reason: intent.cancellationReason,
    capture_method: intent.captureMethod,
    client_secret: intent.clientSecret,
    confirmation_method: 'automatic',
    created: intent.created,
    currency: intent.currency,
    customer: intent.customer,
    customer_account: null,
    description: intent.description,
    excluded_payment_method_types: null,
    last_payment_error: intent.lastPaymentError,
    latest_charge: intent.latestCharge,
    livemode: false,
    managed_payments: null,
    metadata: intent.metadata,
    next_action:
      intent.status === 'requires_action' ? nextAction(account, intent.authentication!, intent.returnUrl) : null,
    on_behalf_of: null,
    payment_method: intent.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: {
        installments: null,
        mandate_options: null,
        network: null,
        request_three_d_secure: intent.requestThreeDSecure,
      },
    },
    payment_method_types: intent.paymentMethodTypes,
    payment_record: null,
    processing: null,
    receipt_email: intent.receiptEmail,
    review: null,
    setup_future_usage: intent.setupFutureUsage,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: intent.status,
    transfer_data: null,
    transfer_group: null,
  };
}

export function paymentIntentOf(account: Account, intentId: string, param = 'id'): PaymentIntentRecord {
  const intent = account.paymentIntents.get(intentId);
  if (!intent) throw resourceMissing('payment_intent', intentId, param);
  return intent;
}

// Before API 2022-11-15 a PaymentIntent listed its charges; since then it names its `latest_charge` (changelog 2022-11-15).
registerLegacyField('payment_intent', 'charges', CHARGE_REFUNDS_EXPANDABLE, (account, intent) =>
  account.charges.list(
    { limit: 100 },
    `/v1/charges?payment_intent=${intent.id}`,
    (charge) => renderCharge(account, charge),
    (charge) => charge.paymentIntent === intent.id,
  ),
);

registerExpandable('pi', (account, intentId) => {
  const intent = account.paymentIntents.get(intentId);
  return intent && renderPaymentIntent(account, intent);
});

type Attempt =
  | { result: 'succeeded' }
  | { result: 'requires_action' }
  | { result: 'processing' }
  | { result: 'failed'; decline: Decline; charge: string; paymentMethod: object };

/** How a delayed payment ends when the `settle` control says it failed. */
const DELAYED_DECLINE: Decline = {
  code: 'card_declined',
  decline_code: 'generic_decline',
  message: 'Your card was declined.',
};

/** One try of the intent's card: a charge unless the bank first asks for 3-D Secure, or answers later. */
function attemptPayment(
  account: Account,
  intent: PaymentIntentRecord,
  attempt: { offSession: boolean; authenticated: boolean },
): Attempt {
  const saved = account.cards.get(intent.paymentMethod!)!;
  const decision = authorize(saved, {
    ...attempt,
    legacy: false,
    threeDSecureRequested: intent.requestThreeDSecure !== 'automatic',
  });
  if (decision.result === 'requires_action') return { result: 'requires_action' };
  if (decision.result === 'approved' && saved.card.settlement === 'delayed') {
    // The charge is made when the payment settles (Stripe shows a pending one meanwhile; not emulated).
    intent.status = 'processing';
    intent.lastPaymentError = null;
    emit(account, 'payment_intent.processing', renderPaymentIntent(account, intent));
    return { result: 'processing' };
  }
  return chargeIntent(account, intent, decision.result === 'approved' ? null : decision.decline, attempt.authenticated);
}

/** The intent's charge, succeeded or failed, and the intent's outcome with it. */
function chargeIntent(
  account: Account,
  intent: PaymentIntentRecord,
  failure: Decline | null,
  authenticated: boolean,
): Attempt {
  const saved = account.cards.get(intent.paymentMethod!)!;
  const charge = recordCharge(account, {
    amount: intent.amount,
    currency: intent.currency,
    customer: intent.customer,
    paymentIntent: intent.id,
    saved,
    failure,
    authenticated,
    description: intent.description,
    metadata: intent.metadata,
    capture: intent.captureMethod !== 'manual',
  });
  intent.latestCharge = charge.id;
  if (failure) {
    // A PaymentMethod that pays attached to nobody is single-use, whether the bank approved or declined.
    saved.usedUp ||= !saved.customer;
    intent.status = 'requires_payment_method';
    intent.paymentMethod = null;
    const paymentMethod = renderPaymentMethod(saved);
    intent.lastPaymentError = {
      type: 'card_error',
      ...failure,
      doc_url: docUrl(failure.code),
      charge: charge.id,
      payment_method: paymentMethod,
    };
    emit(account, 'payment_intent.payment_failed', renderPaymentIntent(account, intent));
    return { result: 'failed', decline: failure, charge: charge.id, paymentMethod };
  }
  intent.lastPaymentError = null;
  // setup_future_usage saves the card to the customer, ready for later off-session payments.
  if (intent.setupFutureUsage && intent.customer) {
    if (!saved.customer) attach(account, saved, intent.customer);
    if (intent.setupFutureUsage === 'off_session') saved.setUpForOffSession = true;
  }
  saved.usedUp ||= !saved.customer;
  if (intent.captureMethod === 'manual') {
    intent.status = 'requires_capture';
    intent.amountCapturable = intent.amount;
    emit(account, 'payment_intent.amount_capturable_updated', renderPaymentIntent(account, intent));
  } else {
    intent.status = 'succeeded';
    intent.amountReceived = intent.amount;
    emit(account, 'payment_intent.succeeded', renderPaymentIntent(account, intent));
  }
  return { result: 'succeeded' };
}

const CONFIRMABLE: PaymentIntentStatus[] = ['requires_payment_method', 'requires_confirmation'];

/**
 * Confirms: the bank approves (succeeded, with its charge), asks for 3-D Secure (requires_action, or the
 * `authentication_required` card error off-session) or declines (402, back to requires_payment_method).
 */
export function confirmPaymentIntent(
  account: Account,
  intent: PaymentIntentRecord,
  options: { offSession: boolean; errorOnRequiresAction?: boolean },
): object {
  if (!CONFIRMABLE.includes(intent.status)) {
    throw unexpectedState(
      `This PaymentIntent's status is ${intent.status}, but must be one of requires_payment_method or requires_confirmation to be confirmed.`,
    );
  }
  if (!intent.paymentMethod) {
    throw invalidRequest(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with a Customer's default payment method, pass `payment_method` as well.",
      { code: 'payment_intent_unexpected_state', param: 'payment_method' },
    );
  }
  requireReturnUrl(intent, intent.returnUrl, 'Payment Intent');
  const paymentMethod = account.cards.get(intent.paymentMethod);
  if (paymentMethod) checkReusable(paymentMethod, 'payment_method');
  const outcome = attemptPayment(account, intent, {
    offSession: options.offSession || options.errorOnRequiresAction === true,
    authenticated: false,
  });
  if (outcome.result === 'requires_action')
    return awaitCardholder(account, intent, 'payment_intent.requires_action', (waiting) =>
      renderPaymentIntent(account, waiting),
    );
  if (outcome.result === 'failed')
    // api/errors: a card error names the PaymentMethod that was declined.
    throw cardError(outcome.decline, {
      payment_intent: renderPaymentIntent(account, intent),
      charge: outcome.charge,
      payment_method: outcome.paymentMethod,
    });
  return renderPaymentIntent(account, intent);
}

/** The test-helper `settle` control: a `processing` payment ends, with its charge and Stripe's event. */
export function settleProcessingPayment(
  account: Account,
  intent: PaymentIntentRecord,
  outcome: 'succeeded' | 'failed',
): object {
  if (intent.status !== 'processing')
    throw unexpectedState(`This PaymentIntent's status is ${intent.status}, but must be processing to be settled.`);
  chargeIntent(account, intent, outcome === 'failed' ? DELAYED_DECLINE : null, false);
  return renderPaymentIntent(account, intent);
}

/** The cardholder's answer on the 3-D Secure page. */
export function completePaymentAuthentication(account: Account, intent: PaymentIntentRecord, passed: boolean): void {
  if (intent.status !== 'requires_action') return;
  intent.authentication = null;
  if (passed) {
    attemptPayment(account, intent, { offSession: false, authenticated: true });
    return;
  }
  const saved = account.cards.get(intent.paymentMethod!);
  intent.status = 'requires_payment_method';
  intent.paymentMethod = null;
  intent.lastPaymentError = {
    type: 'invalid_request_error',
    code: 'payment_intent_authentication_failure',
    doc_url: docUrl('payment_intent_authentication_failure'),
    message:
      'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
    ...(saved && { payment_method: { id: saved.id, object: 'payment_method', type: 'card' } }),
  };
  emit(account, 'payment_intent.payment_failed', renderPaymentIntent(account, intent));
}

export function cancelPaymentIntent(account: Account, intent: PaymentIntentRecord, reason: string | null): object {
  if (intent.status === 'succeeded' || intent.status === 'canceled') {
    throw unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
    );
  }
  // An authorization not captured is released (api/payment_intents/cancel): nothing of it is ever paid.
  if (intent.status === 'requires_capture') {
    settleAuthorization(account, intent.latestCharge!, 0);
    intent.amountCapturable = 0;
  }
  intent.status = 'canceled';
  intent.authentication = null;
  intent.canceledAt = account.seconds();
  intent.cancellationReason = reason;
  const rendered = renderPaymentIntent(account, intent);
  emit(account, 'payment_intent.canceled', rendered);
  return rendered;
}
