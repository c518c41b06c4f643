import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { unexpectedState } from '../errors.js';
import { newId } from '../ids.js';
import { customerOf } from '../resources/customers.js';
import { emit } from '../resources/events.js';
import { confirmSetupIntent, renderSetupIntent, setupIntentOf, usePaymentMethod } from '../resources/setup-intents.js';
import { choosePaymentMethods, requireReturnUrl } from '../resources/automatic-payment-methods.js';
import { boolean, id, listShape, mergeMetadata, metadata, oneOf, parse, stringArray, text } from './params.js';
import type { Route } from './router.js';

const confirmShape = {
  payment_method: id.optional(),
  return_url: text(2_048).optional(),
  use_stripe_sdk: boolean.optional(),
};
const createParams = z.strictObject({
  ...confirmShape,
  customer: id.optional(),
  confirm: boolean.optional(),
  usage: oneOf(['off_session', 'on_session']).optional(),
  metadata: metadata.optional(),
  description: text().optional(),
  payment_method_types: stringArray.optional(),
  automatic_payment_methods: z
    .strictObject({ enabled: boolean, allow_redirects: oneOf(['always', 'never']).optional() })
    .optional(),
});

export const setupIntentRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/setup_intents',
    handler({ account, params, version }) {
      const input = parse(createParams, params);
      const choice = choosePaymentMethods(input, version);
      // Refused before anything is made, as Stripe does: no intent is left behind by the 400.
      if (input.confirm) requireReturnUrl(choice, input.return_url ?? null, 'Setup Intent');
      const intentId = newId('seti');
      const intent = account.setupIntents.add({
        ...choice,
        id: intentId,
        created: account.seconds(),
        clientSecret: `${intentId}_secret_${randomBytes(16).toString('base64url')}`,
        customer: input.customer === undefined ? null : customerOf(account, input.customer, 'customer').id,
        paymentMethod: null,
        usage: input.usage ?? 'off_session',
        status: 'requires_payment_method',
        metadata: mergeMetadata({}, input.metadata),
        description: input.description ?? null,
        returnUrl: input.return_url ?? null,
        authentication: null,
        lastSetupError: null,
        cancellationReason: null,
      });
      if (input.payment_method !== undefined) usePaymentMethod(account, intent, input.payment_method);
      emit(account, 'setup_intent.created', renderSetupIntent(account, intent));
      return input.confirm ? confirmSetupIntent(account, intent) : renderSetupIntent(account, intent);
    },
  },
  {
    method: 'GET',
    path: '/v1/setup_intents',
    handler({ account, params }) {
      const query = parse(
        z.strictObject({ ...listShape, customer: id.optional(), payment_method: id.optional() }),
        params,
      );
      return account.setupIntents.list(
        query,
        '/v1/setup_intents',
        (intent) => renderSetupIntent(account, intent),
        (intent) =>
          (query.customer === undefined || intent.customer === query.customer) &&
          (query.payment_method === undefined || intent.paymentMethod === query.payment_method),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/setup_intents/:id',
    handler({ account, path, params }) {
      parse(z.strictObject({ client_secret: z.string().optional() }), params);
      return renderSetupIntent(account, setupIntentOf(account, path.id!));
    },
  },
  {
    method: 'POST',
    path: '/v1/setup_intents/:id',
    handler({ account, path, params }) {
      const input = parse(
        z.strictObject({
          metadata: metadata.optional(),
          description: text().optional(),
          payment_method: id.optional(),
        }),
        params,
      );
      const intent = setupIntentOf(account, path.id!);
      if (input.payment_method !== undefined) usePaymentMethod(account, intent, input.payment_method);
      intent.metadata = mergeMetadata(intent.metadata, input.metadata);
      if (input.description !== undefined) intent.description = input.description || null;
      return renderSetupIntent(account, intent);
    },
  },
  {
    method: 'POST',
    path: '/v1/setup_intents/:id/confirm',
    handler({ account, path, params }) {
      const input = parse(z.strictObject({ ...confirmShape, client_secret: z.string().optional() }), params);
      const intent = setupIntentOf(account, path.id!);
      if (input.payment_method !== undefined && intent.status === 'requires_payment_method')
        usePaymentMethod(account, intent, input.payment_method);
      if (input.return_url !== undefined) intent.returnUrl = input.return_url;
      return confirmSetupIntent(account, intent);
    },
  },
  {
    method: 'POST',
    path: '/v1/setup_intents/:id/cancel',
    handler({ account, path, params }) {
      const input = parse(
        z.strictObject({ cancellation_reason: oneOf(['abandoned', 'duplicate', 'requested_by_customer']).optional() }),
        params,
      );
      const intent = setupIntentOf(account, path.id!);
      if (intent.status === 'succeeded' || intent.status === 'canceled')
        throw unexpectedState(
          `You cannot cancel this SetupIntent because it has a status of ${intent.status}.`,
          'setup_intent_unexpected_state',
        );
      intent.status = 'canceled';
      intent.authentication = null;
      intent.cancellationReason = input.cancellation_reason ?? null;
      const rendered = renderSetupIntent(account, intent);
      emit(account, 'setup_intent.canceled', rendered);
      return rendered;
    },
  },
];
