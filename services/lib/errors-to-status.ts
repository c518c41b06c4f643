import Stripe from 'stripe';
import { PaygraphRefusedError, PaygraphUnavailableError, TokenRefusedError } from './paygraph-client.js';

export interface ErrorResponse {
  status: number;
  /** Safe to send: our own messages and Stripe's, never a stack or an unexpected error's text. */
  message: string;
}

/**
 * The one place a failure becomes an HTTP status, and the status tells the callbacks engine what to
 * do next: 2xx done; 408, 409, 425, 429 and 5xx retried with backoff; any other 4xx never retried.
 * Card problems never get here: the handlers record them and answer 200.
 */
export function errorToStatus(error: unknown): ErrorResponse {
  if (error instanceof Stripe.errors.StripeError) return stripeErrorToStatus(error);
  if (error instanceof PaygraphUnavailableError) return { status: 503, message: error.message };
  // Retried later: a new token (the next `npm start`, or an operator's) lets the purchase be paid.
  if (error instanceof TokenRefusedError) return { status: 503, message: error.message };
  // Refused write-backs (a revoked token, a missing scope, a node deleted meanwhile) need a person;
  // 500 keeps the callback retried until they fix it, then dead-lettered where it shows.
  if (error instanceof PaygraphRefusedError) return { status: 500, message: error.message };
  // micro's createError: signature (401), payload (400), body too large (413), customer not there yet (409).
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (error instanceof Error && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 600) {
    return { status: statusCode, message: error.message };
  }
  return { status: 500, message: 'internal error' };
}

function stripeErrorToStatus(error: Stripe.errors.StripeError): ErrorResponse {
  const status = error.statusCode;
  // Another request holds the same idempotency key right now (a concurrent delivery): come back later.
  if (status === 409) return { status: 409, message: `Stripe is busy with this request: ${error.message}` };
  const unavailable =
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    (status !== undefined && status >= 500);
  if (unavailable) return { status: 503, message: `Stripe unavailable: ${error.message}` };
  // A wrong key, a reused idempotency key with other parameters, a request Stripe rejects: a bug or a
  // misconfiguration, retried (500) so that fixing it is enough.
  return {
    status: 500,
    message: `Stripe refused: ${error.type}${error.code ? ` (${error.code})` : ''}: ${error.message}`,
  };
}
