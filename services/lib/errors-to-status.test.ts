import { createError } from 'micro';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { errorToStatus } from './errors-to-status.js';
import { PaygraphRefusedError, PaygraphUnavailableError } from './paygraph-client.js';

// The status is what the callbacks engine acts on: 2xx done; 408/409/425/429/5xx retried; other 4xx final.
const stripeError = (raw: Parameters<typeof Stripe.errors.StripeError.generate>[0]) =>
  Stripe.errors.StripeError.generate({ message: 'from Stripe', ...raw });

describe('errorToStatus', () => {
  it.each([
    ['Stripe unreachable', new Stripe.errors.StripeConnectionError({ message: 'ECONNREFUSED' }), 503],
    ['Stripe 500', stripeError({ statusCode: 500, type: 'api_error' }), 503],
    ['Stripe 503', stripeError({ statusCode: 503, type: 'api_error' }), 503],
    ['Stripe rate limit (429)', stripeError({ statusCode: 429, type: 'rate_limit_error' }), 503],
    [
      'Stripe idempotency key in use by a concurrent request (409)',
      stripeError({ statusCode: 409, type: 'invalid_request_error', code: 'idempotency_key_in_use' }),
      409,
    ],
    [
      'Stripe idempotency key reused with other parameters',
      stripeError({ statusCode: 400, type: 'idempotency_error' }),
      500,
    ],
    ['a wrong Stripe key', stripeError({ statusCode: 401, type: 'invalid_request_error' }), 500],
    ['Paygraph API unreachable or 5xx', new PaygraphUnavailableError('Paygraph API answered 502'), 503],
    ['Paygraph refusing the write-back', new PaygraphRefusedError('FORBIDDEN', 'Not allowed'), 500],
    ['a bad signature', createError(401, 'Callback signature rejected', new Error('x')), 401],
    [
      'a payload this service does not expect',
      createError(400, 'Callback payload is not what this service expects', new Error('x')),
      400,
    ],
  ])('%s -> %i', (_case, error, status) => {
    expect(errorToStatus(error).status).toBe(status);
  });

  it('says nothing about an unexpected error beyond "internal error"', () => {
    expect(
      errorToStatus(new TypeError("Cannot read properties of undefined (reading 'id') at /srv/secret/path.ts:12")),
    ).toEqual({
      status: 500,
      message: 'internal error',
    });
    expect(errorToStatus('a string thrown by a library')).toEqual({ status: 500, message: 'internal error' });
  });
});
