import { z } from 'zod';
import { invalidRequest, resourceMissing } from '../errors.js';
import { newId } from '../ids.js';
import { addSource, customerOf, renderCustomer, setDefaultPaymentMethod } from '../resources/customers.js';
import { emit } from '../resources/events.js';
import { attach, checkAttach, newCard, resolvePaymentMethod } from '../resources/payment-methods.js';
import { useToken } from '../resources/tokens.js';
import { email, id, listShape, mergeMetadata, metadata, parse, text } from './params.js';
import type { Route } from './router.js';
import { search } from './search.js';

const fields = {
  email: email.optional(),
  name: text(256).optional(),
  description: text().optional(),
  phone: text(20).optional(),
  metadata: metadata.optional(),
  source: id.optional(),
  invoice_settings: z.strictObject({ default_payment_method: z.string().optional() }).optional(),
};
const createParams = z.strictObject({ ...fields, payment_method: id.optional() });
const updateParams = z.strictObject({ ...fields, default_source: id.optional() });
const nullable = (value: string | undefined, current: string | null) =>
  value === undefined ? current : value === '' ? null : value;

export const customerRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/customers',
    handler({ account, params, expand }) {
      const input = parse(createParams, params);
      // Everything that can refuse is checked before the customer exists: a declined card leaves no customer.
      const sourceCard = input.source !== undefined ? useToken(account, input.source, 'source') : undefined;
      if (sourceCard) checkAttach(sourceCard);
      const paymentMethod =
        input.payment_method !== undefined ? resolvePaymentMethod(account, input.payment_method) : undefined;
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
      const query = parse(
        z.strictObject({ ...listShape, email: z.string().optional(), test_clock: z.string().optional() }),
        params,
      );
      return account.customers.list(
        query,
        '/v1/customers',
        (record) => renderCustomer(account, record),
        (record) => !record.deleted && (query.email === undefined || record.email === query.email),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/customers/search',
    handler: ({ account, params }) =>
      search(
        account,
        params,
        '/v1/customers/search',
        account.customers.newestFirst((record) => !record.deleted),
        {
          email: (c) => c.email,
          name: (c) => c.name,
          phone: (c) => c.phone,
          created: (c) => c.created,
          metadata: (c, key) => c.metadata[key!],
        },
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
        if (!card || card.customer !== record.id)
          throw invalidRequest(`No such source: '${input.default_source}'`, {
            param: 'default_source',
            code: 'resource_missing',
          });
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
      const previous = Object.fromEntries(
        Object.keys(after)
          .filter((key) => JSON.stringify(after[key]) !== JSON.stringify(before[key]))
          .map((key) => [key, before[key]]),
      );
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
