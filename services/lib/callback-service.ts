import type { IncomingMessage, ServerResponse } from 'node:http';
import { send, type RequestHandler } from 'micro';
import { pino, type Logger } from 'pino';
import Stripe from 'stripe';
import { PaygraphUnavailableError } from './paygraph-client.js';
import { verifyCallback, type Callback } from './verify-callback.js';

export interface Outcome {
  status: number;
  body: Record<string, unknown>;
}

/**
 * A service is one handler: verify the callback, then do its work. Every failure becomes a status
 * code here, in one place, and the status decides what the callbacks engine does next:
 * 2xx done; 409, 429 and 5xx retried later with backoff; other 4xx never retried.
 */
export function callbackService<Node>(options: {
  name: string;
  signingSecret: string;
  logger?: Logger;
  handle: (callback: Callback<Node>) => Promise<Outcome>;
}): RequestHandler {
  const logger = options.logger ?? pino({ name: options.name });
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return send(res, 405, { error: 'POST a signed callback' });
    let callback: Callback<Node> | undefined;
    try {
      callback = await verifyCallback<Node>(req, options.signingSecret);
      const outcome = await options.handle(callback);
      logger.info({ event: callback.event, status: outcome.status, ...outcome.body }, 'callback handled');
      return send(res, outcome.status, outcome.body);
    } catch (error) {
      const status = statusFor(error);
      const message = error instanceof Error ? error.message : 'unexpected failure';
      logger[status >= 500 ? 'error' : 'warn']({ err: error, event: callback?.event, status }, message);
      return send(res, status, { error: status === 500 ? 'internal error' : message });
    }
  };
}

function statusFor(error: unknown): number {
  const statusCode = (error as { statusCode?: number }).statusCode;
  if (!(error instanceof Stripe.errors.StripeError) && typeof statusCode === 'number') return statusCode;
  if (error instanceof PaygraphUnavailableError) return 503;
  if (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    error instanceof Stripe.errors.StripeIdempotencyError ||
    (error instanceof Stripe.errors.StripeError && (error.statusCode ?? 500) >= 500)
  ) {
    return 503;
  }
  // Anything else, a refused write-back (wrong token or scope) among them, is retried once fixed.
  return 500;
}
