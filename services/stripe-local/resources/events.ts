import type { Account } from './account.js';
import type { Stored } from '../collection.js';
import { newId } from '../ids.js';
import type { WebhookEndpointRecord } from './webhook-endpoints.js';

/** An event as sent: kept as its JSON text, the compact form, since it never changes. */
export interface EventRecord extends Stored {
  type: string;
  json: string;
  /** Endpoints that have not yet answered it with a 2xx (api/events/object `pending_webhooks`). */
  pendingWebhooks: number;
}

/** Whether an endpoint wants an event type: `*` for all, or the exact type. */
export const wants = (enabledEvents: readonly string[], type: string) =>
  enabledEvents.includes('*') || enabledEvents.includes(type);

/** The endpoints an event of `type` goes to: the account's own enabled ones that want it. */
export const listeningEndpoints = (account: Account, type: string): WebhookEndpointRecord[] => [
  ...account.webhookEndpoints.newestFirst(
    (candidate) => candidate.status === 'enabled' && wants(candidate.enabledEvents, type),
  ),
];

/** The API version the emulator speaks: the one the installed `stripe` SDK pins. */
export const API_VERSION = '2026-10-28.endive';

/** Records a state change as Stripe's Event, with a snapshot of the object, and hands it to webhook delivery. */
export function emit(
  account: Account,
  type: string,
  object: object,
  previousAttributes?: Record<string, unknown>,
): EventRecord {
  const eventId = newId('evt');
  const created = account.seconds();
  const pendingWebhooks = listeningEndpoints(account, type).length;
  const event = {
    id: eventId,
    object: 'event',
    api_version: API_VERSION,
    created,
    data: { object, ...(previousAttributes && { previous_attributes: previousAttributes }) },
    livemode: false,
    pending_webhooks: pendingWebhooks,
    request: account.request,
    type,
  };
  const record = account.events.add({ id: eventId, created, type, json: JSON.stringify(event), pendingWebhooks });
  account.hooks.onEvent(account, record);
  return record;
}

/** As sent, with the endpoints that have not yet acknowledged it counted now. */
export const renderEvent = (record: EventRecord): object => ({
  ...(JSON.parse(record.json) as object),
  pending_webhooks: record.pendingWebhooks,
});
