import { z } from 'zod';
import type { Account } from './account.js';
import type { Stored } from './collection.js';
import { invalidRequest, resourceMissing } from './errors.js';
import { emit } from './events.js';
import { registerExpandable } from './expand.js';
import { newId } from './ids.js';
import { id, listShape, mergeMetadata, metadata, parse, text } from './params.js';
import { attach, checkAttach, newCard, renderCard, resolvePaymentMethod } from './payment-methods.js';
import type { Route } from './router.js';
import { search } from './search.js';
import { useToken } from './tokens.js';

export interface CustomerRecord extends Stored {
  email: string | null;
  name: string | null;
  description: string | null;
  phone: string | null;
  metadata: Record<string, string>;
  defaultSource: string | null;
  defaultPaymentMethod: string | null;
  deleted: boolean;
}

/** A customer parameter or path id: one of this account's customers that is not deleted. */
export function customerOf(account: Account, customerId: string, param = 'id'): CustomerRecord {
  const customer = account.customers.get(customerId);
  if (!customer || customer.deleted) throw resourceMissing('customer', customerId, param);
  return customer;
}

/** `sources` is only in the response when expanded, as on API versions since 2020-08-27. */
export function renderCustomer(account: Account, record: CustomerRecord, withSources = false): object {
  if (record.deleted) return { id: record.id, object: 'customer', deleted: true };
  return {
    id: record.id,
    object: 'customer',
    address: null,
    balance: 0,
    created: record.created,
    currency: null,
    customer_account: null,
    default_source: record.defaultSource,
    delinquent: false,
    description: record.description,
    discount: null,
    email: record.email,
    invoice_prefix: record.id.slice(4, 12).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: record.defaultPaymentMethod, footer: null, rendering_options: null },
    livemode: false,
    metadata: record.metadata,
    name: record.name,
    next_invoice_sequence: 1,
    phone: record.phone,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
    ...(withSources && { sources: sourcesOf(account, record.id, { limit: 100 }) }),
  };
}

export function sourcesOf(account: Account, customerId: string, params: { limit?: number; starting_after?: string; ending_before?: string }) {
  return account.cards.list(params, `/v1/customers/${customerId}/sources`, renderCard, (card) => card.object === 'card' && card.customer === customerId);
}

/** A token as the customer's new source (`source=tok_...`): declined cards fail before anything is saved. */
export function addSource(account: Account, customer: CustomerRecord, token: string) {
  const testCard = useToken(account, token, 'source');
  checkAttach(testCard);
  const card = newCard(account, testCard, 'card', customer.id);
  emit(account, 'customer.source.created', renderCard(card));
  return card;
}

registerExpandable('cus', (account, customerId) => {
  const record = account.customers.get(customerId);
  return record && renderCustomer(account, record);
});

const fields = {
  email: text(512).optional(),
  name: text(256).optional(),
  description: text().optional(),
  phone: text(20).optional(),
  metadata: metadata.optional(),
  source: id.optional(),
  invoice_settings: z.strictObject({ default_payment_method: z.string().optional() }).optional(),
};
const createParams = z.strictObject({ ...fields, payment_method: id.optional() });
const updateParams = z.strictObject({ ...fields, default_source: id.optional() });
const nullable = (value: string | undefined, current: string | null) => (value === undefined ? current : value === '' ? null : value);

export const customerRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/customers',
    handler({ account, params, expand }) {
      const input = parse(createParams, params);
      // Everything that can refuse is checked before the customer exists: a declined card leaves no customer.
      const sourceCard = input.source !== undefined ? useToken(account, input.source, 'source') : undefined;
      if (sourceCard) checkAttach(sourceCard);
      const paymentMethod = input.payment_method !== undefined ? resolvePaymentMethod(account, input.payment_method) : undefined;
      if (paymentMethod) checkAttach(paymentMethod.card);
      const record = account.customers.add({
        id: newId('cus', 14),
        created: account.seconds(),
        email: input.email ?? null,
        name: input.name ?? null,
        description: input.description ?? null,
        phone: input.phone ?? null,
        metadata: mergeMetadata({}, input.metadata),
        defaultSource: null,
        defaultPaymentMethod: null,
        deleted: false,
      });
      if (sourceCard) record.defaultSource = newCard(account, sourceCard, 'card', record.id).id;
      emit(account, 'customer.created', renderCustomer(account, record));
      if (paymentMethod) attach(account, paymentMethod, record.id);
      const defaultPaymentMethod = input.invoice_settings?.default_payment_method;
      if (defaultPaymentMethod) setDefaultPaymentMethod(account, record, defaultPaymentMethod);
      return renderCustomer(account, record, expand.includes('sources'));
    },
  },
  {
    method: 'GET',
    path: '/v1/customers',
    handler({ account, params }) {
      const query = parse(z.strictObject({ ...listShape, email: z.string().optional(), test_clock: z.string().optional() }), params);
      return account.customers.list(query, '/v1/customers', (record) => renderCustomer(account, record), (record) => !record.deleted && (query.email === undefined || record.email === query.email));
    },
  },
  {
    method: 'GET',
    path: '/v1/customers/search',
    handler: ({ account, params }) =>
      search(
        params,
        '/v1/customers/search',
        account.customers.newestFirst((record) => !record.deleted),
        { email: (c) => c.email, name: (c) => c.name, phone: (c) => c.phone, created: (c) => c.created, metadata: (c, key) => c.metadata[key!] },
        (record) => renderCustomer(account, record),
      ),
  },
  {
    method: 'GET',
    path: '/v1/customers/:id',
    handler({ account, path, params, expand }) {
      parse(z.strictObject({}), params);
      const record = account.customers.get(path.id!);
      if (!record) throw resourceMissing('customer', path.id!);
      return renderCustomer(account, record, expand.includes('sources'));
    },
  },
  {
    method: 'POST',
    path: '/v1/customers/:id',
    handler({ account, path, params, expand }) {
      const input = parse(updateParams, params);
      const record = customerOf(account, path.id!);
      const before = renderCustomer(account, record) as Record<string, unknown>;
      if (input.source !== undefined) record.defaultSource = addSource(account, record, input.source).id;
      if (input.default_source !== undefined) {
        const card = account.cards.get(input.default_source);
        if (!card || card.customer !== record.id) throw invalidRequest(`No such source: '${input.default_source}'`, { param: 'default_source', code: 'resource_missing' });
        record.defaultSource = card.id;
      }
      record.email = nullable(input.email, record.email);
      record.name = nullable(input.name, record.name);
      record.description = nullable(input.description, record.description);
      record.phone = nullable(input.phone, record.phone);
      record.metadata = mergeMetadata(record.metadata, input.metadata);
      const defaultPaymentMethod = input.invoice_settings?.default_payment_method;
      if (defaultPaymentMethod !== undefined) setDefaultPaymentMethod(account, record, defaultPaymentMethod);
      const after = renderCustomer(account, record) as Record<string, unknown>;
      const previous = Object.fromEntries(Object.keys(after).filter((key) => JSON.stringify(after[key]) !== JSON.stringify(before[key])).map((key) => [key, before[key]]));
      if (Object.keys(previous).length > 0) emit(account, 'customer.updated', after, previous);
      return renderCustomer(account, record, expand.includes('sources'));
    },
  },
  {
    method: 'DELETE',
    path: '/v1/customers/:id',
    handler({ account, path }) {
      const record = customerOf(account, path.id!);
      const snapshot = renderCustomer(account, record);
      record.deleted = true;
      for (const card of account.cards.newestFirst((card) => card.customer === record.id)) card.customer = null;
      emit(account, 'customer.deleted', snapshot);
      return { id: record.id, object: 'customer', deleted: true };
    },
  },
];

function setDefaultPaymentMethod(account: Account, customer: CustomerRecord, paymentMethodId: string): void {
  if (paymentMethodId === '') {
    customer.defaultPaymentMethod = null;
    return;
  }
  const card = account.cards.get(paymentMethodId);
  if (!card || card.customer !== customer.id) {
    throw invalidRequest(`No such PaymentMethod: '${paymentMethodId}'; it must be attached to the customer first.`, {
      param: 'invoice_settings[default_payment_method]',
      code: 'resource_missing',
    });
  }
  customer.defaultPaymentMethod = card.id;
}
