import { invalidRequest } from '../errors.js';
import { AUTOMATIC_PAYMENT_METHODS_DEFAULT, before } from './api-versions.js';

/** What an intent's create parameters choose: Stripe's automatic payment methods, or the types it names. */
export interface PaymentMethodChoice {
  automaticPaymentMethods: { enabled: boolean; allow_redirects: 'always' | 'never' } | null;
  paymentMethodTypes: string[];
}

/**
 * Since API 2023-08-16 (changelog 2023-08-16, docs/payments/payment-methods/integration-options) an
 * intent created without `payment_method_types` has automatic payment methods on, redirects allowed;
 * on older versions it is a card intent, as if `payment_method_types: ['card']` had been given.
 * The emulator knows cards only, so that is the one type it renders.
 */
export function choosePaymentMethods(
  input: {
    payment_method_types?: string[];
    automatic_payment_methods?: { enabled: boolean; allow_redirects?: 'always' | 'never' };
  },
  version: string,
): PaymentMethodChoice {
  const automatic = input.automatic_payment_methods;
  if (input.payment_method_types !== undefined) {
    if (automatic?.enabled)
      throw invalidRequest(
        'You may only specify one of these parameters: automatic_payment_methods, payment_method_types.',
        { param: 'automatic_payment_methods' },
      );
    return { automaticPaymentMethods: null, paymentMethodTypes: input.payment_method_types };
  }
  if ((automatic && !automatic.enabled) || (!automatic && before(version, AUTOMATIC_PAYMENT_METHODS_DEFAULT)))
    return { automaticPaymentMethods: null, paymentMethodTypes: ['card'] };
  return {
    automaticPaymentMethods: { enabled: true, allow_redirects: automatic?.allow_redirects ?? 'always' },
    paymentMethodTypes: ['card'],
  };
}

/**
 * Stripe refuses to confirm an intent that may need a full-page redirect without somewhere to come
 * back to, whatever the card (api/payment_intents/confirm#confirm_payment_intent-return_url).
 */
export function requireReturnUrl(
  choice: PaymentMethodChoice,
  returnUrl: string | null,
  kind: 'Payment Intent' | 'Setup Intent',
): void {
  if (returnUrl || choice.automaticPaymentMethods?.allow_redirects !== 'always') return;
  throw invalidRequest(
    `A \`return_url\` must be specified because this ${kind} is configured to automatically accept the payment methods enabled in the Dashboard, some of which may require a full page redirect to succeed. If you do not want to accept redirect-based payment methods, set \`automatic_payment_methods[enabled]\` to \`true\` and \`automatic_payment_methods[allow_redirects]\` to \`never\` when creating Setup Intents and Payment Intents.`,
  );
}
