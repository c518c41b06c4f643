import type { IncomingMessage } from 'node:http';
import { createError, text } from 'micro';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { z } from 'zod';

/** What every Paygraph mutation callback carries besides its payload (see src/callbacks/deliver.ts). */
const eventSchema = z.object({
  /** The delivery id, also the `webhook-id` header: the same on every attempt of one delivery. */
  id: z.string().min(1),
  callback: z.string(),
  trigger: z.string(),
  nodeId: z.string(),
  createdAt: z.iso.datetime(),
  attempt: z.number().int().min(1),
});

export type CallbackEvent = z.infer<typeof eventSchema>;

/** `createdNode` and `updatedNode` are read at delivery time (null when the node was deleted since); `deletedNode` is the commit-time snapshot. */
export type NodeField = 'createdNode' | 'updatedNode' | 'deletedNode';

export interface Callback<Node> {
  data: Partial<Record<NodeField, Node | null>>;
  event: CallbackEvent;
}

/**
 * Reads the raw body once and checks its Standard Webhooks signature before anything is parsed or
 * done: a missing, forged or stale (over 5 minutes) signature is a 401. A signed body that is not the
 * payload this service was configured for is a 400: callbacks.yml and the service disagree, and
 * retrying will not help.
 */
export async function verifyCallback<Node>(
  req: IncomingMessage,
  signingSecret: string,
  node: z.ZodType<Node>,
  field: NodeField = 'createdNode',
): Promise<Callback<Node>> {
  const body = await text(req, { limit: '1mb' });
  try {
    new Webhook(signingSecret).verify(body, signatureHeaders(req), { jsonParse: false });
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    throw createError(401, `Callback signature rejected: ${error.message}`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw createError(400, 'Callback body is not JSON', error as Error);
  }
  const parsed = envelopeSchema(node, field).safeParse(json);
  if (!parsed.success) {
    throw createError(
      400,
      `Callback payload is not what this service expects: ${z.prettifyError(parsed.error)}`,
      parsed.error,
    );
  }
  return parsed.data as Callback<Node>;
}

// zod compiles a schema on its first parse: built once per node schema and field, not per request.
const envelopes = new WeakMap<z.ZodType, Map<NodeField, z.ZodType>>();
function envelopeSchema(node: z.ZodType, field: NodeField): z.ZodType {
  const byField = envelopes.get(node) ?? new Map<NodeField, z.ZodType>();
  envelopes.set(node, byField);
  let envelope = byField.get(field);
  if (!envelope)
    byField.set(field, (envelope = z.object({ data: z.object({ [field]: node.nullable() }), event: eventSchema })));
  return envelope;
}

function signatureHeaders(req: IncomingMessage): Record<string, string> {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  };
  return {
    'webhook-id': header('webhook-id'),
    'webhook-timestamp': header('webhook-timestamp'),
    'webhook-signature': header('webhook-signature'),
  };
}
