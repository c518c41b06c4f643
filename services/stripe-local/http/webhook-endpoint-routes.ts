import { z } from 'zod';
import { resourceMissing } from '../errors.js';
import type { Account } from '../resources/account.js';
import { apiVersionNamed } from '../resources/api-versions.js';
import { addWebhookEndpoint, renderEndpoint, type WebhookEndpointRecord } from '../resources/webhook-endpoints.js';
import { boolean, listShape, mergeMetadata, metadata, parse, stringArray, text } from './params.js';
import type { Route } from './router.js';

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
        z.strictObject({
          url,
          enabled_events: stringArray,
          description: text().optional(),
          metadata: metadata.optional(),
          api_version: z.string().optional(),
          connect: boolean.optional(),
        }),
        params,
      );
      const endpoint = addWebhookEndpoint(account, {
        url: input.url,
        enabledEvents: input.enabled_events,
        description: input.description ?? null,
        metadata: mergeMetadata({}, input.metadata),
        ...(input.api_version !== undefined && { apiVersion: apiVersionNamed(input.api_version, 'api_version') }),
      });
      return renderEndpoint(endpoint, true);
    },
  },
  {
    method: 'GET',
    path: '/v1/webhook_endpoints',
    handler: ({ account, params }) =>
      account.webhookEndpoints.list(parse(z.strictObject(listShape), params), '/v1/webhook_endpoints', (endpoint) =>
        renderEndpoint(endpoint),
      ),
  },
  {
    method: 'GET',
    path: '/v1/webhook_endpoints/:id',
    handler: ({ account, path }) => renderEndpoint(endpointOf(account, path.id!)),
  },
  {
    method: 'POST',
    path: '/v1/webhook_endpoints/:id',
    handler({ account, path, params }) {
      const input = parse(
        z.strictObject({
          url: url.optional(),
          enabled_events: stringArray.optional(),
          disabled: boolean.optional(),
          description: text().optional(),
          metadata: metadata.optional(),
        }),
        params,
      );
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
