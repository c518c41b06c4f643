/** Stripe's error object: `{ error: { type, code, decline_code, message, param, ... } }`. */
export interface StripeErrorBody {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error' | 'rate_limit_error';
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: object;
  setup_intent?: object;
  payment_method?: object;
}

/** The one error type of the emulator: whatever is thrown becomes this status and body, nothing else. */
export class StripeLocalError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }
}

export const docUrl = (code: string) => `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;

export function invalidRequest(
  message: string,
  options: { param?: string; code?: string; status?: number } = {},
): StripeLocalError {
  const { param, code, status = 400 } = options;
  return new StripeLocalError(status, {
    type: 'invalid_request_error',
    message,
    ...(code && { code, doc_url: docUrl(code) }),
    ...(param && { param }),
  });
}

export const missingParam = (param: string) =>
  invalidRequest(`Missing required param: ${param}.`, { param, code: 'parameter_missing' });
export const unknownParam = (param: string) =>
  invalidRequest(`Received unknown parameter: ${param}`, { param, code: 'parameter_unknown' });

/** `No such customer: 'cus_x'`: 404 when the id is in the path, 400 when a parameter names it. */
export function resourceMissing(kind: string, id: string, param = 'id'): StripeLocalError {
  return invalidRequest(`No such ${kind}: '${id}'`, {
    param,
    code: 'resource_missing',
    status: param === 'id' ? 404 : 400,
  });
}

export function unexpectedState(message: string, code = 'payment_intent_unexpected_state'): StripeLocalError {
  return invalidRequest(message, { code });
}

export interface Decline {
  code: string;
  decline_code?: string;
  message: string;
}

/** HTTP 402: the card was refused; the object the attempt left behind travels in the error, as Stripe sends it. */
export function cardError(
  decline: Decline,
  attached: Pick<StripeErrorBody, 'charge' | 'payment_intent' | 'setup_intent' | 'payment_method' | 'param'> = {},
): StripeLocalError {
  return new StripeLocalError(402, { type: 'card_error', ...decline, doc_url: docUrl(decline.code), ...attached });
}

export function authenticationError(message: string): StripeLocalError {
  return new StripeLocalError(401, { type: 'invalid_request_error', message });
}

export function idempotencyMismatch(key: string): StripeLocalError {
  return new StripeLocalError(400, {
    type: 'idempotency_error',
    message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}

/** 409 while the first request with the key still runs (docs/error-codes/idempotency-key-in-use); the SDK retries 409s. */
export function idempotencyKeyInUse(key: string): StripeLocalError {
  return invalidRequest(
    `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
    { code: 'idempotency_key_in_use', status: 409 },
  );
}

export function rateLimited(): StripeLocalError {
  return new StripeLocalError(429, {
    type: 'invalid_request_error',
    code: 'rate_limit',
    message: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
  });
}

export function internalError(message = 'An unknown error occurred'): StripeLocalError {
  return new StripeLocalError(500, { type: 'api_error', message });
}

export function unrecognizedUrl(method: string, path: string): StripeLocalError {
  return invalidRequest(
    `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    { status: 404 },
  );
}
