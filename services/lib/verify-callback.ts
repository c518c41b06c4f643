import type { IncomingMessage } from 'node:http';
import { createError, text } from 'micro';
import { Webhook } from 'standardwebhooks';

/** The body of a Paygraph mutation callback (see callbacks.yml for each payload's selection). */
export interface Callback<Node> {
  data: { createdNode: Node | null };
  event: { id: string; callback: string; trigger: string; nodeId: string; createdAt: string; attempt: number };
}

/**
 * Verifies the Standard Webhooks signature on the raw body, before anything is parsed or done:
 * a missing, forged or stale (over 5 minutes) signature is a 401.
 */
export async function verifyCallback<Node>(req: IncomingMessage, signingSecret: string): Promise<Callback<Node>> {
  const body = await text(req, { limit: '1mb' });
  try {
    return new Webhook(signingSecret).verify(body, {
      'webhook-id': header(req, 'webhook-id'),
      'webhook-timestamp': header(req, 'webhook-timestamp'),
      'webhook-signature': header(req, 'webhook-signature'),
    }) as Callback<Node>;
  } catch (error) {
    throw createError(401, `Callback signature rejected: ${(error as Error).message}`, error as Error);
  }
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}
