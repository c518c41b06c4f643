import { Collection, type Stored } from '../collection.js';
import { invalidRequest } from '../errors.js';
import type { ChargeRecord } from './charges.js';
import type { CustomerRecord } from './customers.js';
import type { DisputeRecord } from './disputes.js';
import type { EventRecord } from './events.js';
import { IdempotencyStore } from './idempotency.js';
import { SDK_API_VERSION } from './api-versions.js';
import { SearchFreshness } from './search-freshness.js';
import type { PaymentIntentRecord } from './payment-intents.js';
import type { CardRecord } from './payment-methods.js';
import type { RefundRecord } from './refunds.js';
import type { SetupIntentRecord } from './setup-intents.js';
import type { TokenRecord } from './tokens.js';
import type { WebhookEndpointRecord } from './webhook-endpoints.js';

/** Stripe keeps events for 30 days; an emulator that runs for weeks keeps the newest this many per account. */
export const EVENTS_KEPT = 10_000;

/** The next requests of an account that are slowed down or answered with an error (test-only controls). */
export interface Fault {
  remaining: number;
  status?: 429 | 500;
  delayMs: number;
  path?: string;
}

/** Where an account's state change is announced (webhook delivery), and what request made it. */
export interface AccountHooks {
  onEvent(account: Account, event: EventRecord): void;
  /** A record of `kind` was made or handed out for a change (the state file writes it when the request ends). */
  touched?(account: Account, kind: string, record: { id: string }): void;
  /** The base URL cardholders reach the 3-D Secure page on. */
  baseUrl(): string;
  registerAuthentication(account: Account, intentId: string): string;
  /** How long a written object stays out of search results (docs/search#data-freshness); 0: at once. */
  searchLagMs: number;
}

/**
 * Everything one secret key sees. Each `sk_test_` key is its own account: objects made with one key
 * are invisible to another, and each account has its own clock, so tests that move time stay apart.
 */
export class Account {
  private clockOffsetMs = 0;
  readonly customers = this.collection<CustomerRecord>('customers');
  /** PaymentMethods (`pm_`) and legacy card sources (`card_`): one record type, rendered as either. */
  readonly cards = this.collection<CardRecord>('cards');
  readonly tokens = this.collection<TokenRecord>('tokens');
  readonly setupIntents = this.collection<SetupIntentRecord>('setupIntents');
  readonly paymentIntents = this.collection<PaymentIntentRecord>('paymentIntents');
  readonly charges = this.collection<ChargeRecord>('charges');
  readonly refunds = this.collection<RefundRecord>('refunds');
  readonly disputes = this.collection<DisputeRecord>('disputes');
  readonly events = this.collection<EventRecord>('events', EVENTS_KEPT);
  readonly webhookEndpoints = this.collection<WebhookEndpointRecord>('webhookEndpoints');
  readonly idempotency = new IdempotencyStore((entry) => this.hooks.touched?.(this, 'idempotency', entry));
  readonly faults: Fault[] = [];
  readonly searchFreshness: SearchFreshness;
  webhookOrder: 'in_order' | 'reversed' = 'in_order';
  /** Raw card numbers to `tokens` and `payment_methods`: off, as on a Stripe account (test mode too, docs/testing). */
  rawCardData = false;
  /** The account's default API version (docs/upgrades): requests without `Stripe-Version`, and its events, use it. */
  apiVersion = SDK_API_VERSION;
  /** The request being handled came with a publishable key: Stripe.js, whose job is to send card numbers. */
  requestByPublishableKey = false;
  /** The request being handled, for the `request` field of the events it causes. */
  request: { id: string | null; idempotency_key: string | null } = { id: null, idempotency_key: null };

  constructor(
    readonly key: string,
    readonly hooks: AccountHooks,
  ) {
    this.searchFreshness = new SearchFreshness(hooks.searchLagMs, () => this.now());
  }

  /** The account's clock in milliseconds: real time, moved forward by the test-only control. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** What the test-only controls set on the account, as a state file keeps it. */
  get settings(): AccountSettings {
    return { clockOffsetMs: this.clockOffsetMs, webhookOrder: this.webhookOrder, rawCardData: this.rawCardData };
  }

  set settings(settings: AccountSettings) {
    ({ clockOffsetMs: this.clockOffsetMs, webhookOrder: this.webhookOrder, rawCardData: this.rawCardData } = settings);
  }

  private collection<T extends Stored>(kind: string, capacity = Infinity): Collection<T> {
    return new Collection<T>(capacity, (record) => this.hooks.touched?.(this, kind, record));
  }
}

export interface AccountSettings {
  clockOffsetMs: number;
  webhookOrder: Account['webhookOrder'];
  rawCardData: boolean;
}

/**
 * Stripe's answer to a card number a server sends with its secret key, unless the account has raw card data
 * access (docs/testing); Stripe.js sends numbers with the publishable key, which is what it is for.
 */
export function checkRawCardData(account: Account): void {
  if (!account.rawCardData && !account.requestByPublishableKey)
    throw invalidRequest(
      'Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens that map to the test card you are using, see https://stripe.com/docs/testing. To enable testing raw card data APIs, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis.',
    );
}
