import type { IncomingMessage, ServerResponse } from 'node:http';
import { send, type RequestHandler } from 'micro';
import { pino, type Logger } from 'pino';
import type { z } from 'zod';
import { errorToStatus } from './errors-to-status.js';
import { verifyCallback, type CallbackEvent, type NodeField } from './verify-callback.js';

/** What a service answers when its work is done; failures are thrown and become a status in one place. */
export interface Outcome {
  status: number;
  body: Record<string, unknown>;
}

/**
 * A service is one micro handler: verify the signed callback before anything else, do the work on
 * the node, answer. Every thrown failure goes through errorToStatus; responses never carry a stack.
 */
export function callbackService<Node>(options: {
  name: string;
  signingSecret: string;
  /** The shape of `createdNode`, as the service's payload in callbacks.yml selects it. */
  node: z.ZodType<Node>;
  /** Which node the payload carries: `createdNode` (the default) or, for a `.deleted` trigger, `deletedNode`. */
  nodeField?: NodeField;
  logger?: Logger;
  handle: (node: Node, event: CallbackEvent) => Promise<Outcome>;
}): RequestHandler {
  const logger = options.logger ?? pino({ name: options.name });
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return send(res, 405, { error: 'POST a signed callback' });
    let event: CallbackEvent | undefined;
    try {
      const field = options.nodeField ?? 'createdNode';
      const callback = await verifyCallback(req, options.signingSecret, options.node, field);
      event = callback.event;
      const node = callback.data[field];
      // The payload is read at delivery time: a node deleted since has nothing left to do.
      const outcome = node
        ? await options.handle(node, event)
        : { status: 200, body: { skipped: 'the node no longer exists' } };
      logger.info({ event, status: outcome.status, ...outcome.body }, 'callback handled');
      return send(res, outcome.status, outcome.body);
    } catch (error) {
      const { status, message } = errorToStatus(error);
      // Expected trouble (Stripe or the API away, a bad signature) is one line; the unexpected gets its stack.
      if (status === 500) logger.error({ err: error, event, status }, message);
      else logger.warn({ event, status }, message);
      return send(res, status, { error: message });
    }
  };
}

/** One service, several callbacks: each at its own path (callbacks.yml names the path in the URL). */
export function byPath(routes: Record<string, RequestHandler>): RequestHandler {
  return (req, res) => {
    const handler = routes[(req.url ?? '/').split('?')[0] ?? '/'];
    return handler ? handler(req, res) : send(res, 404, { error: 'no such callback here' });
  };
}
