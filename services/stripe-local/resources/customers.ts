import type { Account } from './account.js';
import type { Stored } from '../collection.js';
import { invalidRequest, resourceMissing } from '../errors.js';
import { emit } from './events.js';
import { registerExpandable } from './expand.js';
import { checkAttach, newCard, renderCard } from './payment-methods.js';
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
    invoice_settings: {
      custom_fields: null,
      default_payment_method: record.defaultPaymentMethod,
      footer: null,
      rendering_options: null,
    },
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

export function sourcesOf(
  account: Account,
  customerId: string,
  params: { limit?: number; starting_after?: string; ending_before?: string },
) {
  return account.cards.list(
    params,
    `/v1/customers/${customerId}/sources`,
    renderCard,
    (card) => card.object === 'card' && card.customer === customerId,
  );
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

export function setDefaultPaymentMethod(account: Account, customer: CustomerRecord, paymentMethodId: string): void {
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
