import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Account } from './account.js';
import type { Stored } from './collection.js';
import { resourceMissing } from './errors.js';
import { API_VERSION } from './events.js';
import { newId } from './ids.js';
import { boolean, listShape, mergeMetadata, metadata, parse, stringArray, text } from './params.js';
import type { Route } from './router.js';

export interface WebhookEndpointRecord extends Stored {
  url: string;
  enabledEvents: string[];
  secret: string;
  description: string | null;
  metadata: Record<string, string>;
  status: 'enabled' | 'disabled';
}

export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

/** Whether an endpoint wants an event type: `*` for all, or the exact type. */
export const wants = (enabledEvents: readonly string[], type: string) => enabledEvents.includes('*') || enabledEvents.includes(type);

/** A new enabled endpoint of `account`: it receives that account's events only, as at Stripe. */
export function addWebhookEndpoint(
  account: Account,
  fields: Pick<WebhookEndpointRecord, 'url' | 'enabledEvents'> & Partial<Pick<WebhookEndpointRecord, 'secret' | 'description' | 'metadata'>>,
): WebhookEndpointRecord {
  return account.webhookEndpoints.add({
    id: newId('we'),
    created: account.seconds(),
    secret: fields.secret ?? newWebhookSecret(),
    description: fields.description ?? null,
    metadata: fields.metadata ?? {},
    status: 'enabled',
    url: fields.url,
    enabledEvents: fields.enabledEvents,
  });
}

/** The secret is answered once, on creation, as Stripe does. */
function renderEndpoint(endpoint: WebhookEndpointRecord, withSecret = false): object {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint',
    api_version: API_VERSION,
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

const url = z.string().transform((value, ctx) => {
  if (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)) return value;
  ctx.addIssue({ code: 'custom', message: `Invalid URL: ${value}`, params: { stripeCode: 'url_invalid' } });
  return z.NEVER;
});

function endpointOf(account: Account, endpointId: string): WebhookEndpointRecord {
  const endpoint = account.webhookEndpoints.get(endpointId);
  if (!endpoint) throw resourceMissing('webhook endpoint', endpointId);
  return endpoint;
}

export const webhookEndpointRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/webhook_endpoints',
    handler({ account, params }) {
      const input = parse(
        z.strictObject({ url, enabled_events: stringArray, description: text().optional(), metadata: metadata.optional(), api_version: z.string().optional(), connect: boolean.optional() }),
        params,
      );
      const endpoint = addWebhookEndpoint(account, { url: input.url, enabledEvents: input.enabled_events, description: input.description ?? null, metadata: mergeMetadata({}, input.metadata) });
      return renderEndpoint(endpoint, true);
    },
  },
  {
    method: 'GET',
    path: '/v1/webhook_endpoints',
    handler: ({ account, params }) => account.webhookEndpoints.list(parse(z.strictObject(listShape), params), '/v1/webhook_endpoints', (endpoint) => renderEndpoint(endpoint)),
  },
  { method: 'GET', path: '/v1/webhook_endpoints/:id', handler: ({ account, path }) => renderEndpoint(endpointOf(account, path.id!)) },
  {
    method: 'POST',
    path: '/v1/webhook_endpoints/:id',
    handler({ account, path, params }) {
      const input = parse(z.strictObject({ url: url.optional(), enabled_events: stringArray.optional(), disabled: boolean.optional(), description: text().optional(), metadata: metadata.optional() }), params);
      const endpoint = endpointOf(account, path.id!);
      if (input.url !== undefined) endpoint.url = input.url;
      if (input.enabled_events !== undefined) endpoint.enabledEvents = input.enabled_events;
      if (input.disabled !== undefined) endpoint.status = input.disabled ? 'disabled' : 'enabled';
      if (input.description !== undefined) endpoint.description = input.description || null;
      endpoint.metadata = mergeMetadata(endpoint.metadata, input.metadata);
      return renderEndpoint(endpoint);
    },
  },
  {
    method: 'DELETE',
    path: '/v1/webhook_endpoints/:id',
    handler({ account, path }) {
      const endpoint = endpointOf(account, path.id!);
      endpoint.status = 'disabled';
      endpoint.url = '';
      return { id: endpoint.id, object: 'webhook_endpoint', deleted: true };
    },
  },
];
