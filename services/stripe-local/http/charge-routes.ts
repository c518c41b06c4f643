import { z } from 'zod';
import { cardError, resourceMissing } from '../errors.js';
import { checkAmount, checkCurrency } from '../money.js';
import type { Account } from '../resources/account.js';
import { authorize } from '../resources/authorization.js';
import { chargeOf, recordCharge, renderCharge, type ChargeRecord } from '../resources/charges.js';
import { customerOf } from '../resources/customers.js';
import { newCard, type CardRecord } from '../resources/payment-methods.js';
import { useToken } from '../resources/tokens.js';
import { boolean, id, integer, listShape, mergeMetadata, metadata, parse, text } from './params.js';
import type { Route } from './router.js';
import { search } from './search.js';

const createParams = z.strictObject({
  amount: integer,
  currency: z.string(),
  customer: id.optional(),
  source: id.optional(),
  description: text().optional(),
  metadata: metadata.optional(),
  capture: boolean.optional(),
  receipt_email: z.string().optional(),
  statement_descriptor: text(22).optional(),
  statement_descriptor_suffix: text(22).optional(),
  transfer_group: z.string().optional(),
});

/** The card a legacy charge uses: `source` (a token, or one of the customer's cards), else the customer's default source. */
function legacyCard(account: Account, customerId: string | undefined, source: string | undefined): CardRecord {
  const customer = customerId === undefined ? undefined : customerOf(account, customerId, 'customer');
  if (source !== undefined) {
    const saved = account.cards.get(source);
    if (saved && customer && saved.customer === customer.id) return saved;
    if (saved) throw resourceMissing('source', source, 'source');
    return newCard(account, useToken(account, source, 'source'), 'card');
  }
  const fallback = customer?.defaultSource ? account.cards.get(customer.defaultSource) : undefined;
  if (!fallback) {
    const message = customer ? 'Cannot charge a customer that has no active card' : 'Must provide source or customer.';
    throw cardError({ code: 'missing', message }, { param: 'card' });
  }
  return fallback;
}

const chargeSearchFields = {
  amount: (charge: ChargeRecord) => charge.amount,
  currency: (charge: ChargeRecord) => charge.currency,
  customer: (charge: ChargeRecord) => charge.customer,
  created: (charge: ChargeRecord) => charge.created,
  status: (charge: ChargeRecord) => charge.status,
  payment_intent: (charge: ChargeRecord) => charge.paymentIntent,
  disputed: (charge: ChargeRecord) => String(charge.dispute !== null),
  refunded: (charge: ChargeRecord) => String(charge.amountRefunded === charge.amount),
  metadata: (charge: ChargeRecord, key?: string) => charge.metadata[key!],
};

export const chargeRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/charges',
    handler({ account, params }) {
      const input = parse(createParams, params);
      const currency = checkCurrency(input.currency);
      checkAmount(input.amount, currency);
      const saved = legacyCard(account, input.customer, input.source);
      const decision = authorize(saved, { offSession: false, authenticated: false, legacy: true });
      const failure = decision.result === 'approved' ? null : 'decline' in decision ? decision.decline : null;
      const charge = recordCharge(account, {
        amount: input.amount,
        currency,
        customer: input.customer ?? null,
        paymentIntent: null,
        saved,
        failure,
        authenticated: false,
        description: input.description ?? null,
        metadata: mergeMetadata({}, input.metadata),
      });
      if (failure) throw cardError(failure, { charge: charge.id });
      return renderCharge(account, charge);
    },
  },
  {
    method: 'GET',
    path: '/v1/charges',
    handler({ account, params }) {
      const query = parse(
        z.strictObject({
          ...listShape,
          customer: id.optional(),
          payment_intent: id.optional(),
          transfer_group: z.string().optional(),
        }),
        params,
      );
      return account.charges.list(
        query,
        '/v1/charges',
        (charge) => renderCharge(account, charge),
        (charge) =>
          (query.customer === undefined || charge.customer === query.customer) &&
          (query.payment_intent === undefined || charge.paymentIntent === query.payment_intent),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/charges/search',
    handler: ({ account, params }) =>
      search(account, params, '/v1/charges/search', account.charges.newestFirst(), chargeSearchFields, (charge) =>
        renderCharge(account, charge),
      ),
  },
  {
    method: 'GET',
    path: '/v1/charges/:id',
    handler: ({ account, path, params }) => {
      parse(z.strictObject({}), params);
      return renderCharge(account, chargeOf(account, path.id!));
    },
  },
  {
    method: 'POST',
    path: '/v1/charges/:id',
    handler({ account, path, params }) {
      const input = parse(z.strictObject({ description: text().optional(), metadata: metadata.optional() }), params);
      const charge = chargeOf(account, path.id!);
      charge.metadata = mergeMetadata(charge.metadata, input.metadata);
      if (input.description !== undefined) charge.description = input.description || null;
      account.searchFreshness.wrote(charge.id);
      return renderCharge(account, charge);
    },
  },
];
