import type { Account } from './account.js';
import type { Stored } from '../collection.js';
import { newId } from '../ids.js';
import { shapeForVersion } from './api-versions.js';
import type { WebhookEndpointRecord } from './webhook-endpoints.js';

/** An event as sent: kept as its JSON text, the compact form, since it never changes. */
export interface EventRecord extends Stored {
  type: string;
  json: string;
  /** The event as sent to endpoints created with another `api_version` than the account's, by that version. */
  jsonByVersion?: Record<string, string>;
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

/**
 * Records a state change as Stripe's Event, with a snapshot of the object in the account's default API version
 * (and in each listening endpoint's own `api_version`, docs/webhooks/versioning), and hands it to webhook delivery.
 */
export function emit(
  account: Account,
  type: string,
  object: object,
  previousAttributes?: Record<string, unknown>,
): EventRecord {
  // Every change of an object is announced by an event: search indexes it from then on.
  if ('id' in object && typeof object.id === 'string') account.searchFreshness.wrote(object.id);
  const eventId = newId('evt');
  const created = account.seconds();
  const endpoints = listeningEndpoints(account, type);
  const pendingWebhooks = endpoints.length;
  const inVersion = (version: string) =>
    JSON.stringify({
      id: eventId,
      object: 'event',
      api_version: version,
      created,
      // A copy when reshaped: the caller may answer its request with the same object, in another version.
      data: {
        object: shapeForVersion(account, object, version, { copy: true }),
        ...(previousAttributes && { previous_attributes: previousAttributes }),
      },
      livemode: false,
      pending_webhooks: pendingWebhooks,
      request: account.request,
      type,
    });
  const json = inVersion(account.apiVersion);
  const jsonByVersion: Record<string, string> = {};
  for (const { apiVersion } of endpoints)
    if (apiVersion && apiVersion !== account.apiVersion) jsonByVersion[apiVersion] ??= inVersion(apiVersion);
  const record = account.events.add({
    id: eventId,
    created,
    type,
    json,
    pendingWebhooks,
    ...(Object.keys(jsonByVersion).length > 0 && { jsonByVersion }),
  });
  account.hooks.onEvent(account, record);
  return record;
}

/** As sent, with the endpoints that have not yet acknowledged it counted now. */
export const renderEvent = (record: EventRecord): object => ({
  ...(JSON.parse(record.json) as object),
  pending_webhooks: record.pendingWebhooks,
});

/** The event as an endpoint receives it: in the endpoint's own `api_version` when it has one. */
export const eventJson = (record: EventRecord, version: string | null): string =>
  (version && record.jsonByVersion?.[version]) || record.json;
