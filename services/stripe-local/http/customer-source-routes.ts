import { z } from 'zod';
import { resourceMissing } from '../errors.js';
import type { Account } from '../resources/account.js';
import { addSource, customerOf, sourcesOf } from '../resources/customers.js';
import { emit } from '../resources/events.js';
import { renderCard } from '../resources/payment-methods.js';
import { id, listShape, mergeMetadata, metadata, oneOf, parse } from './params.js';
import type { Route } from './router.js';

/** The legacy Sources API on a customer, as Paygraph's create-customer service uses it today. */
function sourceOf(account: Account, customerId: string, sourceId: string) {
  customerOf(account, customerId);
  const card = account.cards.get(sourceId);
  if (!card || card.object !== 'card' || card.customer !== customerId) throw resourceMissing('source', sourceId);
  return card;
}

export const customerSourceRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/customers/:id/sources',
    handler({ account, path, params }) {
      const input = parse(z.strictObject({ source: id, metadata: metadata.optional() }), params);
      const customer = customerOf(account, path.id!);
      const card = addSource(account, customer, input.source);
      card.metadata = mergeMetadata({}, input.metadata);
      // A customer's first source becomes its default, as on Stripe.
      customer.defaultSource ??= card.id;
      return renderCard(card);
    },
  },
  {
    method: 'GET',
    path: '/v1/customers/:id/sources',
    handler({ account, path, params }) {
      const query = parse(z.strictObject({ ...listShape, object: oneOf(['card']).optional() }), params);
      customerOf(account, path.id!);
      return sourcesOf(account, path.id!, query);
    },
  },
  {
    method: 'GET',
    path: '/v1/customers/:id/sources/:source',
    handler: ({ account, path }) => renderCard(sourceOf(account, path.id!, path.source!)),
  },
  {
    method: 'POST',
    path: '/v1/customers/:id/sources/:source',
    handler({ account, path, params }) {
      const input = parse(z.strictObject({ metadata: metadata.optional() }), params);
      const card = sourceOf(account, path.id!, path.source!);
      card.metadata = mergeMetadata(card.metadata, input.metadata);
      return renderCard(card);
    },
  },
  {
    method: 'DELETE',
    path: '/v1/customers/:id/sources/:source',
    handler({ account, path }) {
      const card = sourceOf(account, path.id!, path.source!);
      const customer = customerOf(account, path.id!);
      card.customer = null;
      if (customer.defaultSource === card.id) {
        customer.defaultSource =
          account.cards.newestFirst((other) => other.object === 'card' && other.customer === customer.id).next().value
            ?.id ?? null;
      }
      emit(account, 'customer.source.deleted', renderCard({ ...card, customer: customer.id }));
      return { id: card.id, object: 'card', deleted: true };
    },
  },
];
