import type { Account } from './account.js';
import { authorizeSetup } from './authorization.js';
import type { Stored } from '../collection.js';
import { cardError, docUrl, invalidRequest, resourceMissing, unexpectedState } from '../errors.js';
import { emit } from './events.js';
import { registerExpandable } from './expand.js';
import { awaitCardholder, nextAction } from './next-action.js';
import { attach, checkReusable, renderPaymentMethod, resolvePaymentMethod } from './payment-methods.js';
import { requireReturnUrl, type PaymentMethodChoice } from './automatic-payment-methods.js';

export interface SetupIntentRecord extends Stored, PaymentMethodChoice {
  clientSecret: string;
  customer: string | null;
  paymentMethod: string | null;
  usage: 'off_session' | 'on_session';
  status: 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'succeeded' | 'canceled';
  metadata: Record<string, string>;
  description: string | null;
  returnUrl: string | null;
  authentication: string | null;
  lastSetupError: object | null;
  cancellationReason: string | null;
}

export function renderSetupIntent(account: Account, intent: SetupIntentRecord): object {
  return {
    id: intent.id,
    object: 'setup_intent',
    application: null,
    allowed_payment_method_types: intent.automaticPaymentMethods ? null : intent.paymentMethodTypes,
    automatic_payment_methods: intent.automaticPaymentMethods,
    cancellation_reason: intent.cancellationReason,
    client_secret: intent.clientSecret,
    created: intent.created,
    customer: intent.customer,
    customer_account: null,
    description: intent.description,
    excluded_payment_method_types: null,
    flow_directions: null,
    last_setup_error: intent.lastSetupError,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: intent.metadata,
    next_action:
      intent.status === 'requires_action' ? nextAction(account, intent.authentication!, intent.returnUrl) : null,
    on_behalf_of: null,
    payment_method: intent.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: { card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: intent.paymentMethodTypes,
    single_use_mandate: null,
    status: intent.status,
    usage: intent.usage,
  };
}

export function setupIntentOf(account: Account, intentId: string): SetupIntentRecord {
  const intent = account.setupIntents.get(intentId);
  if (!intent) throw resourceMissing('setup_intent', intentId);
  return intent;
}

registerExpandable('seti', (account, intentId) => {
  const intent = account.setupIntents.get(intentId);
  return intent && renderSetupIntent(account, intent);
});

/** Saved: attached to the customer and, for `usage=off_session`, ready for payments without the cardholder. */
function succeed(account: Account, intent: SetupIntentRecord): object {
  const saved = account.cards.get(intent.paymentMethod!)!;
  if (intent.customer && !saved.customer) attach(account, saved, intent.customer);
  if (intent.usage === 'off_session') saved.setUpForOffSession = true;
  intent.status = 'succeeded';
  intent.lastSetupError = null;
  const rendered = renderSetupIntent(account, intent);
  emit(account, 'setup_intent.succeeded', rendered);
  return rendered;
}

function fail(account: Account, intent: SetupIntentRecord, error: Record<string, unknown>): object {
  const saved = account.cards.get(intent.paymentMethod!);
  intent.status = 'requires_payment_method';
  intent.paymentMethod = null;
  intent.lastSetupError = { ...error, ...(saved && { payment_method: renderPaymentMethod(saved) }) };
  const rendered = renderSetupIntent(account, intent);
  emit(account, 'setup_intent.setup_failed', rendered);
  return rendered;
}

export function confirmSetupIntent(account: Account, intent: SetupIntentRecord): object {
  if (intent.status !== 'requires_payment_method' && intent.status !== 'requires_confirmation') {
    throw unexpectedState(
      `This SetupIntent's status is ${intent.status}, but must be requires_payment_method or requires_confirmation to be confirmed.`,
      'setup_intent_unexpected_state',
    );
  }
  if (!intent.paymentMethod)
    throw invalidRequest('You cannot confirm this SetupIntent because it has no payment method.', {
      param: 'payment_method',
      code: 'setup_intent_unexpected_state',
    });
  requireReturnUrl(intent, intent.returnUrl, 'Setup Intent');
  const saved = account.cards.get(intent.paymentMethod)!;
  checkReusable(saved, 'payment_method');
  const decision = authorizeSetup(saved, false);
  if (decision.result === 'declined') {
    const failed = fail(account, intent, {
      type: 'card_error',
      ...decision.decline,
      doc_url: docUrl(decision.decline.code),
    });
    // api/errors: a card error names the PaymentMethod that was declined.
    throw cardError(decision.decline, { setup_intent: failed, payment_method: renderPaymentMethod(saved) });
  }
  if (decision.result === 'requires_action')
    return awaitCardholder(account, intent, 'setup_intent.requires_action', (waiting) =>
      renderSetupIntent(account, waiting),
    );
  return succeed(account, intent);
}

/** The cardholder's answer on the 3-D Secure page. */
export function completeSetupAuthentication(account: Account, intent: SetupIntentRecord, passed: boolean): void {
  if (intent.status !== 'requires_action') return;
  intent.authentication = null;
  if (passed) succeed(account, intent);
  else {
    fail(account, intent, {
      type: 'invalid_request_error',
      code: 'setup_intent_authentication_failure',
      message: 'The latest attempt to set up the payment method has failed because authentication failed.',
    });
  }
}

export function usePaymentMethod(account: Account, intent: SetupIntentRecord, paymentMethodId: string): void {
  const saved = resolvePaymentMethod(account, paymentMethodId);
  if (saved.customer && saved.customer !== intent.customer)
    throw invalidRequest(`The provided PaymentMethod ${saved.id} belongs to a different Customer.`, {
      param: 'payment_method',
    });
  intent.paymentMethod = saved.id;
  intent.status = 'requires_confirmation';
}
