import type { Account } from './account.js';
import type { Stored } from '../collection.js';
import { cardError, invalidRequest, resourceMissing } from '../errors.js';
import { emit } from './events.js';
import { registerExpandable } from './expand.js';
import { newId } from '../ids.js';
import { cardChecks, cardForPaymentMethod, type TestCard } from './test-cards.js';

export interface BillingDetails {
  name: string | null;
  email: string | null;
  phone: string | null;
}

/** A saved card: a PaymentMethod (`pm_`) or a legacy card source (`card_`), which Stripe also charges through PaymentIntents. */
export interface CardRecord extends Stored {
  object: 'payment_method' | 'card';
  card: TestCard;
  customer: string | null;
  metadata: Record<string, string>;
  billing: BillingDetails | null;
  /** Saved for off-session use (a SetupIntent, or a payment with `setup_future_usage`): `on_setup` cards then pay off-session unchallenged. */
  setUpForOffSession: boolean;
  /** Paid with while attached to no customer, or detached: Stripe refuses it from then on (api/payment_methods/detach). */
  usedUp: boolean;
}

const EXP_MONTH = 12;
const expYear = () => new Date().getUTCFullYear() + 5;
const NULL_ADDRESS = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };

export function newCard(
  account: Account,
  card: TestCard,
  object: CardRecord['object'],
  customer: string | null = null,
): CardRecord {
  return account.cards.add({
    id: newId(object === 'card' ? 'card' : 'pm'),
    created: account.seconds(),
    object,
    card,
    customer,
    metadata: {},
    billing: null,
    setUpForOffSession: false,
    usedUp: false,
  });
}

/** Stripe's answer to a PaymentMethod that was used without a customer, or detached, then offered again. */
export function checkReusable(record: CardRecord, param?: string): void {
  if (!record.usedUp) return;
  throw invalidRequest(
    'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.',
    param === undefined ? {} : { param },
  );
}

/** Stripe validates a card when it is saved to a customer: cards declined on attach fail here. */
export function checkAttach(card: TestCard, param?: string): void {
  if (card.decline?.when === 'attach') {
    const { when: _when, ...decline } = card.decline;
    throw cardError(decline, param === undefined ? {} : { param });
  }
}

export function attach(account: Account, record: CardRecord, customerId: string): void {
  checkAttach(record.card);
  record.customer = customerId;
  if (record.object === 'payment_method') emit(account, 'payment_method.attached', renderPaymentMethod(record));
}

/** A `payment_method` parameter: a saved card of this account, or `pm_card_visa` and friends (a fresh PaymentMethod each time). */
export function resolvePaymentMethod(account: Account, paymentMethodId: string, param = 'payment_method'): CardRecord {
  const testCard = cardForPaymentMethod(paymentMethodId);
  if (testCard) return newCard(account, testCard, 'payment_method');
  const record = account.cards.get(paymentMethodId);
  if (!record) throw resourceMissing('PaymentMethod', paymentMethodId, param);
  checkReusable(record, param);
  return record;
}

export function renderPaymentMethod(record: CardRecord): object {
  const { card } = record;
  return {
    id: record.id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: {
      address: NULL_ADDRESS,
      email: record.billing?.email ?? null,
      name: record.billing?.name ?? null,
      phone: record.billing?.phone ?? null,
      tax_id: null,
    },
    card: {
      brand: card.network,
      checks: cardChecks(card),
      country: card.country ?? 'US',
      display_brand: card.network,
      exp_month: EXP_MONTH,
      exp_year: expYear(),
      fingerprint: card.fingerprint,
      funding: card.funding,
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.network], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: record.created,
    customer: record.customer,
    customer_account: null,
    livemode: false,
    metadata: record.metadata,
    type: 'card',
  };
}

/** The legacy `card` object (a customer's source, a token's card). */
export function renderCard(record: Pick<CardRecord, 'id' | 'card' | 'customer' | 'metadata'>): object {
  const { card } = record;
  return {
    id: record.id,
    object: 'card',
    address_city: null,
    address_country: null,
    address_line1: null,
    address_line1_check: cardChecks(card).address_line1_check,
    address_line2: null,
    address_state: null,
    address_zip: null,
    address_zip_check: cardChecks(card).address_postal_code_check,
    brand: card.brand,
    country: card.country ?? 'US',
    customer: record.customer,
    cvc_check: cardChecks(card).cvc_check,
    dynamic_last4: null,
    exp_month: EXP_MONTH,
    exp_year: expYear(),
    fingerprint: card.fingerprint,
    funding: card.funding,
    last4: card.last4,
    metadata: record.metadata,
    name: null,
    regulated_status: 'unregulated',
    tokenization_method: null,
  };
}

export const renderSaved = (record: CardRecord) =>
  record.object === 'card' ? renderCard(record) : renderPaymentMethod(record);

registerExpandable('pm', (account, cardId) => {
  const record = account.cards.get(cardId);
  return record && renderPaymentMethod(record);
});
registerExpandable('card', (account, cardId) => {
  const record = account.cards.get(cardId);
  return record && renderCard(record);
});
