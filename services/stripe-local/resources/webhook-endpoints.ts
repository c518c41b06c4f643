import { randomBytes } from 'node:crypto';
import type { Account } from './account.js';
import type { Stored } from '../collection.js';
import { newId } from '../ids.js';

export interface WebhookEndpointRecord extends Stored {
  url: string;
  enabledEvents: string[];
  secret: string;
  description: string | null;
  metadata: Record<string, string>;
  status: 'enabled' | 'disabled';
  /** Events to it are in this version; null: the account's default at the time of each event (docs/webhooks/versioning). */
  apiVersion: string | null;
}

/** The endpoint STRIPE_LOCAL_WEBHOOK_URL makes at every start, with that start's secret: never kept across one. */
export const START_ENDPOINT_DESCRIPTION = 'STRIPE_LOCAL_WEBHOOK_URL, made at start';

export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

/** A new enabled endpoint of `account`: it receives that account's events only, as at Stripe. */
export function addWebhookEndpoint(
  account: Account,
  fields: Pick<WebhookEndpointRecord, 'url' | 'enabledEvents'> &
    Partial<Pick<WebhookEndpointRecord, 'secret' | 'description' | 'metadata' | 'apiVersion'>>,
): WebhookEndpointRecord {
  return account.webhookEndpoints.add({
    id: newId('we'),
    created: account.seconds(),
    secret: fields.secret ?? newWebhookSecret(),
    description: fields.description ?? null,
    metadata: fields.metadata ?? {},
    status: 'enabled',
    apiVersion: fields.apiVersion ?? null,
    url: fields.url,
    enabledEvents: fields.enabledEvents,
  });
}

/** The secret is answered once, on creation, as Stripe does. */
export function renderEndpoint(endpoint: WebhookEndpointRecord, withSecret = false): object {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint',
    api_version: endpoint.apiVersion,
    application: null,
    created: endpoint.created,
    description: endpoint.description,
    enabled_events: endpoint.enabledEvents,
    livemode: false,
    metadata: endpoint.metadata,
    status: endpoint.status,
    url: endpoint.url,
    ...(withSecret && { secret: endpoint.secret }),
  };
}
