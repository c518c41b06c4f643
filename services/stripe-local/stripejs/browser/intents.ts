/// <reference lib="dom" />
import { callApi, type ApiAnswer } from './api.js';
import { IntegrationError } from './integration-error.js';
import { authenticateInModal } from './three-d-secure-modal.js';

export interface ApiContext {
  origin: string;
  key: string;
  headers: Record<string, string>;
}

type Kind = 'payment_intent' | 'setup_intent';
type Intent = Record<string, unknown> & { id: string; status: string; next_action?: NextAction | null };
interface NextAction {
  type: string;
  redirect_to_url?: { url?: string } | null;
  use_stripe_sdk?: { stripe_js?: string } | null;
}

const KINDS = {
  payment_intent: { path: '/v1/payment_intents', result: 'paymentIntent', prefix: 'pi_' },
  setup_intent: { path: '/v1/setup_intents', result: 'setupIntent', prefix: 'seti_' },
} as const;
// What Stripe.js answers when the cardholder fails (or abandons) 3-D Secure.
const AUTHENTICATION_FAILED =
  'We are unable to authenticate your payment method. Please choose a different payment method and try again.';
const PAID = ['succeeded', 'requires_capture', 'processing'];

export const kindOfSecret = (clientSecret: unknown): Kind =>
  typeof clientSecret === 'string' && clientSecret.startsWith('seti_') ? 'setup_intent' : 'payment_intent';

function intentId(kind: Kind, clientSecret: unknown, method: string): string {
  const match =
    typeof clientSecret === 'string' ? /^((?:pi|seti)_[A-Za-z0-9]+)_secret_[\w-]+$/.exec(clientSecret) : null;
  if (!match || !match[1]!.startsWith(KINDS[kind].prefix))
    throw new IntegrationError(
      `Invalid value for ${method}: clientSecret should be a client secret of the form \${id}_secret_\${secret}. You specified: ${String(clientSecret)}.`,
    );
  return match[1]!;
}

const failure = (answer: ApiAnswer) => ({
  error: answer.body.error ?? { type: 'api_error', message: 'Unknown error' },
});

type Read = { intent: Intent } | { error: Record<string, unknown> };
const shaped = (kind: Kind, read: Read) => ('intent' in read ? { [KINDS[kind].result]: read.intent } : read);

async function readIntent(context: ApiContext, kind: Kind, clientSecret: string, method: string): Promise<Read> {
  const id = intentId(kind, clientSecret, method);
  const path = `${KINDS[kind].path}/${id}`;
  const answer = await callApi(
    context.origin,
    context.key,
    'GET',
    path,
    { client_secret: clientSecret },
    context.headers,
  );
  return answer.status === 200 ? { intent: answer.body as Intent } : failure(answer);
}

export const retrieveIntent = async (context: ApiContext, kind: Kind, clientSecret: string, method: string) =>
  shaped(kind, await readIntent(context, kind, clientSecret, method));

/**
 * confirmCardPayment / confirmCardSetup: confirm with the client secret and the card (made by the card
 * frame, or a `pm_` id), then, when the bank asks, the cardholder's 3-D Secure answer in the modal.
 * An intent already waiting for that answer goes straight to the modal.
 */
export async function confirmCardIntent(
  context: ApiContext,
  kind: Kind,
  clientSecret: string,
  paymentMethod: string | undefined,
  extra: Record<string, unknown>,
  handleActions: boolean,
  method: string,
) {
  const id = intentId(kind, clientSecret, method);
  if (paymentMethod === undefined) {
    const current = await readIntent(context, kind, clientSecret, method);
    if (!('intent' in current)) return current;
    if (current.intent.status === 'requires_action')
      return handleActions ? authenticate(context, kind, clientSecret, current.intent) : shaped(kind, current);
  }
  const answer = await callApi(
    context.origin,
    context.key,
    'POST',
    `${KINDS[kind].path}/${id}/confirm`,
    { client_secret: clientSecret, payment_method: paymentMethod, use_stripe_sdk: 'true', ...extra },
    context.headers,
  );
  if (answer.status !== 200) return failure(answer);
  const intent = answer.body as Intent;
  if (intent.status === 'requires_action' && handleActions) return authenticate(context, kind, clientSecret, intent);
  return { [KINDS[kind].result]: intent };
}

/** handleNextAction / handleCardAction: the modal for an intent that waits for the cardholder, if it does. */
export async function handleNextAction(context: ApiContext, clientSecret: string, method: string) {
  const kind = kindOfSecret(clientSecret);
  const current = await readIntent(context, kind, clientSecret, method);
  if (!('intent' in current) || current.intent.status !== 'requires_action') return shaped(kind, current);
  return authenticate(context, kind, clientSecret, current.intent);
}

async function authenticate(context: ApiContext, kind: Kind, clientSecret: string, intent: Intent) {
  const action = intent.next_action;
  const page = action?.redirect_to_url?.url ?? action?.use_stripe_sdk?.stripe_js;
  if (page) await authenticateInModal(page, context.origin);
  const after = await readIntent(context, kind, clientSecret, 'handleNextAction');
  if (!('intent' in after) || PAID.includes(after.intent.status)) return shaped(kind, after);
  const settled = after.intent;
  const lastError = (settled.last_payment_error ?? settled.last_setup_error) as Record<string, unknown> | null;
  const code = `${kind}_authentication_failure`;
  const error =
    lastError && lastError.code !== code
      ? lastError
      : { type: 'invalid_request_error', code, ...lastError, message: AUTHENTICATION_FAILED };
  return { error: { ...error, [kind]: settled } };
}
