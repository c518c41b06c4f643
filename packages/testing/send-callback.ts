import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { TEST_SIGNING_SECRET } from './signing-secret.js';

export interface SendOptions {
  /** The delivery id (webhook-id): keep it to send "the same delivery" again. */
  id?: string;
  attempt?: number;
  createdAt?: Date;
  secret?: string;
  timestamp?: Date;
  /** Changes the body after it was signed: a forgery. */
  tamper?: (body: string) => string;
  unsigned?: boolean;
  /** Where the payload carries the node: `createdNode` unless an `.updated` or `.deleted` callback is sent. */
  field?: 'createdNode' | 'updatedNode' | 'deletedNode';
}

/** POSTs a callback as Paygraph's worker does: Standard Webhooks headers over the exact body. */
export async function sendCallback(url: string, createdNode: unknown, options: SendOptions = {}) {
  const id = options.id ?? `dlv_${randomUUID()}`;
  const body = JSON.stringify({
    data: { [options.field ?? 'createdNode']: createdNode },
    event: {
      id,
      callback: 'test',
      trigger: 'Test.created',
      nodeId: (createdNode as { id?: string } | null)?.id ?? 'gone',
      createdAt: (options.createdAt ?? new Date()).toISOString(),
      attempt: options.attempt ?? 1,
    },
  });
  const timestamp = options.timestamp ?? new Date();
  const signature = new Webhook(options.secret ?? TEST_SIGNING_SECRET).sign(id, timestamp, body);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(!options.unsigned && {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signature,
      }),
    },
    body: options.tamper ? options.tamper(body) : body,
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
}
