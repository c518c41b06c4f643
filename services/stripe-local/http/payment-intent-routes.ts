import { z } from 'zod';
import { invalidRequest, unexpectedState } from '../errors.js';
import { checkAmount, checkCurrency } from '../money.js';
import type { Account } from '../resources/account.js';
import { customerOf } from '../resources/customers.js';
import { emit } from '../resources/events.js';
import {
  cancelPaymentIntent,
  confirmPaymentIntent,
  newPaymentIntent,
  paymentIntentOf,
  renderPaymentIntent,
  type CaptureMethod,
  type PaymentIntentRecord,
} from '../resources/payment-intents.js';
import { capturePaymentIntent } from '../resources/manual-capture.js';
import { resolvePaymentMethod } from '../resources/payment-methods.js';
import { choosePaymentMethods, requireReturnUrl } from '../resources/automatic-payment-methods.js';
import { boolean, id, integer, listShape, mergeMetadata, metadata, oneOf, parse, stringArray, text } from './params.js';
import type { Route } from './router.js';
import { search } from './search.js';

/** `off_session=true`, or Stripe's `one_off` / `recurring` spellings of it. */
const offSession = z.union([boolean, oneOf(['one_off', 'recurring']).transform(() => true)]);

const paymentMethodOptions = z.strictObject({
  card: z.strictObject({ request_three_d_secure: oneOf(['automatic', 'any', 'challenge']).optional() }).optional(),
});

const captureMethod = oneOf(['automatic', 'automatic_async', 'manual']);

const confirmShape = {
  payment_method: id.optional(),
  payment_method_options: paymentMethodOptions.optional(),
  capture_method: captureMethod.optional(),
  off_session: offSession.optional(),
  return_url: text(2_048).optional(),
  error_on_requires_action: boolean.optional(),
  setup_future_usage: oneOf(['off_session', 'on_session', '']).optional(),
  receipt_email: z.string().optional(),
  use_stripe_sdk: boolean.optional(),
};

const createParams = z.strictObject({
  ...confirmShape,
  amount: integer,
  currency: z.string(),
  customer: id.optional(),
  confirm: boolean.optional(),
  metadata: metadata.optional(),
  description: text().optional(),
  payment_method_types: stringArray.optional(),
  automatic_payment_methods: z
    .strictObject({ enabled: boolean, allow_redirects: oneOf(['always', 'never']).optional() })
    .optional(),
  confirmation_method: oneOf(['automatic', 'manual']).optional(),
  statement_descriptor: text(22).optional(),
  statement_descriptor_suffix: text(22).optional(),
  transfer_group: z.string().optional(),
});

const updateParams = z.strictObject({
  amount: integer.optional(),
  currency: z.string().optional(),
  customer: id.optional(),
  payment_method: id.optional(),
  metadata: metadata.optional(),
  description: text().optional(),
  receipt_email: z.string().optional(),
  setup_future_usage: oneOf(['off_session', 'on_session', '']).optional(),
  payment_method_options: paymentMethodOptions.optional(),
  capture_method: captureMethod.optional(),
});

/** capture_method and request_three_d_secure as given, the rest as the intent had them. */
function applyChoices(
  intent: PaymentIntentRecord,
  input: { capture_method?: CaptureMethod; payment_method_options?: z.infer<typeof paymentMethodOptions> },
): void {
  if (input.capture_method !== undefined) intent.captureMethod = input.capture_method;
  const requested = input.payment_method_options?.card?.request_three_d_secure;
  if (requested !== undefined) intent.requestThreeDSecure = requested;
}

/** The payment method an intent may use: a saved card of the intent's customer, or one not saved to anybody. */
function usablePaymentMethod(account: Account, paymentMethodId: string, customer: string | null): string {
  const saved = resolvePaymentMethod(account, paymentMethodId);
  if (saved.customer && saved.customer !== customer) {
    throw invalidRequest(
      `The provided PaymentMethod ${saved.id} belongs to a different Customer; it cannot be used with ${customer ? `Customer ${customer}` : 'no Customer'}.`,
      {
        param: 'payment_method',
      },
    );
  }
  return saved.id;
}

const futureUsage = (value: string | undefined, current: PaymentIntentRecord['setupFutureUsage']) =>
  value === undefined ? current : value === '' ? null : (value as 'off_session' | 'on_session');

const paymentIntentSearch = (account: Account, params: Parameters<typeof search>[1]) =>
  search(
    account,
    params,
    '/v1/payment_intents/search',
    account.paymentIntents.newestFirst(),
    {
      amount: (intent: PaymentIntentRecord) => intent.amount,
      currency: (intent) => intent.currency,
      customer: (intent) => intent.customer,
      created: (intent) => intent.created,
      status: (intent) => intent.status,
      metadata: (intent, key) => intent.metadata[key!],
    },
    (intent) => renderPaymentIntent(account, intent),
  );

export const paymentIntentRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/payment_intents',
    handler({ account, params, version }) {
      const input = parse(createParams, params);
      if (input.off_session !== undefined && input.confirm !== true)
        throw invalidRequest('off_session can only be used when confirm=true', { param: 'off_session' });
      const currency = checkCurrency(input.currency);
      checkAmount(input.amount, currency);
      const customer = input.customer === undefined ? null : customerOf(account, input.customer, 'customer').id;
      const choice = choosePaymentMethods(input, version);
      // Refused before anything is made, as Stripe does: no intent is left behind by the 400.
      if (input.confirm) requireReturnUrl(choice, input.return_url ?? null, 'Payment Intent');
      const intent = newPaymentIntent(account, {
        ...choice,
        amount: input.amount,
        currency,
        customer,
        paymentMethod:
          input.payment_method === undefined ? null : usablePaymentMethod(account, input.payment_method, customer),
        metadata: mergeMetadata({}, input.metadata),
        description: input.description ?? null,
        receiptEmail: input.receipt_email ?? null,
        setupFutureUsage: futureUsage(input.setup_future_usage, null),
        returnUrl: input.return_url ?? null,
        // api/payment_intents/create: capture_method defaults to automatic_async.
        captureMethod: input.capture_method ?? 'automatic_async',
        requestThreeDSecure: input.payment_method_options?.card?.request_three_d_secure ?? 'automatic',
      });
      emit(account, 'payment_intent.created', renderPaymentIntent(account, intent));
      if (!input.confirm) return renderPaymentIntent(account, intent);
      return confirmPaymentIntent(account, intent, {
        offSession: input.off_session === true,
        errorOnRequiresAction: input.error_on_requires_action,
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/payment_intents',
    handler({ account, params }) {
      const query = parse(z.strictObject({ ...listShape, customer: id.optional() }), params);
      return account.paymentIntents.list(
        query,
        '/v1/payment_intents',
        (intent) => renderPaymentIntent(account, intent),
        (intent) => query.customer === undefined || intent.customer === query.customer,
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/payment_intents/search',
    handler: ({ account, params }) => paymentIntentSearch(account, params),
  },
  {
    method: 'GET',
    path: '/v1/payment_intents/:id',
    handler({ account, path, params }) {
      parse(z.strictObject({ client_secret: z.string().optional() }), params);
      return renderPaymentIntent(account, paymentIntentOf(account, path.id!));
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_intents/:id',
    handler({ account, path, params }) {
      const input = parse(updateParams, params);
      const intent = paymentIntentOf(account, path.id!);
      if (intent.status === 'succeeded' || intent.status === 'canceled') {
        throw unexpectedState(`This PaymentIntent's status is ${intent.status}, so it can no longer be updated.`);
      }
      if (input.customer !== undefined) intent.customer = customerOf(account, input.customer, 'customer').id;
      if (input.currency !== undefined) intent.currency = checkCurrency(input.currency);
      if (input.amount !== undefined) intent.amount = checkAmount(input.amount, intent.currency);
      if (input.payment_method !== undefined) {
        intent.paymentMethod = usablePaymentMethod(account, input.payment_method, intent.customer);
        if (intent.status === 'requires_payment_method') intent.status = 'requires_confirmation';
      }
      intent.metadata = mergeMetadata(intent.metadata, input.metadata);
      if (input.description !== undefined) intent.description = input.description || null;
      if (input.receipt_email !== undefined) intent.receiptEmail = input.receipt_email || null;
      intent.setupFutureUsage = futureUsage(input.setup_future_usage, intent.setupFutureUsage);
      applyChoices(intent, input);
      // No event announces an update: search learns of it all the same.
      account.searchFreshness.wrote(intent.id);
      return renderPaymentIntent(account, intent);
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_intents/:id/confirm',
    handler({ account, path, params }) {
      const input = parse(z.strictObject({ ...confirmShape, client_secret: z.string().optional() }), params);
      const intent = paymentIntentOf(account, path.id!);
      if (
        input.payment_method !== undefined &&
        (intent.status === 'requires_payment_method' || intent.status === 'requires_confirmation')
      ) {
        intent.paymentMethod = usablePaymentMethod(account, input.payment_method, intent.customer);
      }
      if (input.return_url !== undefined) intent.returnUrl = input.return_url;
      if (input.receipt_email !== undefined) intent.receiptEmail = input.receipt_email || null;
      intent.setupFutureUsage = futureUsage(input.setup_future_usage, intent.setupFutureUsage);
      if (intent.status === 'requires_payment_method' || intent.status === 'requires_confirmation')
        applyChoices(intent, input);
      return confirmPaymentIntent(account, intent, {
        offSession: input.off_session === true,
        errorOnRequiresAction: input.error_on_requires_action,
      });
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_intents/:id/cancel',
    handler({ account, path, params }) {
      const input = parse(
        z.strictObject({
          cancellation_reason: oneOf(['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer']).optional(),
        }),
        params,
      );
      return cancelPaymentIntent(account, paymentIntentOf(account, path.id!), input.cancellation_reason ?? null);
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_intents/:id/capture',
    handler({ account, path, params }) {
      const input = parse(
        z.strictObject({
          amount_to_capture: integer.optional(),
          statement_descriptor: text(22).optional(),
          statement_descriptor_suffix: text(22).optional(),
        }),
        params,
      );
      return capturePaymentIntent(account, paymentIntentOf(account, path.id!), input.amount_to_capture);
    },
  },
];
