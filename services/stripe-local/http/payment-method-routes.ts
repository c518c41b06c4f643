import { z } from 'zod';
import { cardError, invalidRequest, resourceMissing } from '../errors.js';
import { checkRawCardData, type Account } from '../resources/account.js';
import { customerOf } from '../resources/customers.js';
import { emit } from '../resources/events.js';
import {
  attach,
  checkReusable,
  newCard,
  renderPaymentMethod,
  resolvePaymentMethod,
  type BillingDetails,
  type CardRecord,
} from '../resources/payment-methods.js';
import { cardForNumber, cardForPaymentMethod, INCORRECT_NUMBER } from '../resources/test-cards.js';
import { useToken } from '../resources/tokens.js';
import { id, integer, listShape, mergeMetadata, metadata, oneOf, parse, text } from './params.js';
import type { Route } from './router.js';

const billingDetails = z.strictObject({
  name: text().optional(),
  email: text().optional(),
  phone: text().optional(),
  address: z.record(z.string(), z.string()).optional(),
});

const billingOf = (input: z.output<typeof billingDetails>): BillingDetails => ({
  name: input.name ?? null,
  email: input.email ?? null,
  phone: input.phone ?? null,
});

const createParams = z.strictObject({
  type: oneOf(['card']),
  card: z
    .union([
      z.strictObject({ token: id }),
      z.strictObject({ number: z.string(), exp_month: integer, exp_year: integer, cvc: z.string().optional() }),
    ])
    .optional(),
  billing_details: billingDetails.optional(),
  metadata: metadata.optional(),
  allow_redisplay: oneOf(['always', 'limited', 'unspecified']).optional(),
});

function getPaymentMethod(account: Account, paymentMethodId: string): CardRecord {
  const record = account.cards.get(paymentMethodId);
  if (!record || record.object !== 'payment_method') throw resourceMissing('PaymentMethod', paymentMethodId);
  return record;
}

export const paymentMethodRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/payment_methods',
    handler({ account, params }) {
      const input = parse(createParams, params);
      if (!input.card)
        throw invalidRequest('Missing required param: card.', { param: 'card', code: 'parameter_missing' });
      if ('number' in input.card) checkRawCardData(account);
      const testCard =
        'token' in input.card ? useToken(account, input.card.token, 'card[token]') : cardForNumber(input.card.number);
      if (!testCard) throw cardError(INCORRECT_NUMBER, { param: 'card[number]' });
      const record = newCard(account, testCard, 'payment_method');
      record.metadata = mergeMetadata({}, input.metadata);
      if (input.billing_details) record.billing = billingOf(input.billing_details);
      return renderPaymentMethod(record);
    },
  },
  {
    method: 'GET',
    path: '/v1/payment_methods',
    handler({ account, params }) {
      const query = parse(
        z.strictObject({ ...listShape, customer: id.optional(), type: oneOf(['card']).optional() }),
        params,
      );
      if (query.customer !== undefined) customerOf(account, query.customer, 'customer');
      return account.cards.list(
        query,
        '/v1/payment_methods',
        renderPaymentMethod,
        (record) =>
          record.object === 'payment_method' && (query.customer === undefined || record.customer === query.customer),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/payment_methods/:id',
    handler: ({ account, path, params }) => {
      parse(z.strictObject({}), params);
      return renderPaymentMethod(getPaymentMethod(account, path.id!));
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_methods/:id',
    handler({ account, path, params }) {
      const input = parse(
        z.strictObject({
          metadata: metadata.optional(),
          billing_details: billingDetails.optional(),
          allow_redisplay: z.string().optional(),
        }),
        params,
      );
      const record = getPaymentMethod(account, path.id!);
      record.metadata = mergeMetadata(record.metadata, input.metadata);
      if (input.billing_details) record.billing = billingOf(input.billing_details);
      return renderPaymentMethod(record);
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_methods/:id/attach',
    handler({ account, path, params }) {
      const { customer } = parse(z.strictObject({ customer: id }), params);
      const record = cardForPaymentMethod(path.id!)
        ? resolvePaymentMethod(account, path.id!, 'id')
        : getPaymentMethod(account, path.id!);
      customerOf(account, customer, 'customer');
      checkReusable(record);
      if (record.customer === customer) return renderPaymentMethod(record);
      if (record.customer)
        throw invalidRequest(`The payment method you provided has already been attached to a customer.`, {
          param: 'payment_method',
          code: 'payment_method_unexpected_state',
        });
      attach(account, record, customer);
      return renderPaymentMethod(record);
    },
  },
  {
    method: 'POST',
    path: '/v1/payment_methods/:id/detach',
    handler({ account, path, params }) {
      parse(z.strictObject({}), params);
      const record = getPaymentMethod(account, path.id!);
      if (!record.customer)
        throw invalidRequest(
          'The payment method you provided is not attached to a customer so detachment is impossible.',
          { code: 'payment_method_unexpected_state' },
        );
      const customer = account.customers.get(record.customer);
      if (customer?.defaultPaymentMethod === record.id) customer.defaultPaymentMethod = null;
      record.customer = null;
      record.setUpForOffSession = false;
      record.usedUp = true;
      const rendered = renderPaymentMethod(record);
      emit(account, 'payment_method.detached', rendered);
      return rendered;
    },
  },
];
