import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { TEST_SIGNING_SECRET } from './paygraph.js';

/** POSTs a callback as the worker would: Standard Webhooks headers over the exact body. */
export async function sendCallback(
  url: string,
  createdNode: unknown,
  options: { id?: string; createdAt?: Date; secret?: string; timestamp?: Date; tamper?: (body: string) => string } = {},
) {
  const id = options.id ?? randomUUID();
  const body = JSON.stringify({
    data: { createdNode },
    event: { id, callback: 'test', trigger: 'test', nodeId: 'n', createdAt: (options.createdAt ?? new Date()).toISOString(), attempt: 1 },
  });
  const timestamp = options.timestamp ?? new Date();
  const signature = new Webhook(options.secret ?? TEST_SIGNING_SECRET).sign(id, timestamp, body);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    },
    body: options.tamper ? options.tamper(body) : body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
