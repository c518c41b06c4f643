/**
 * Parameters the emulator accepts that the pinned version's spec does not document, each with why. The
 * validator lets them through to the route, which reads them as before; nothing else outside the spec passes.
 */
const OLDER_VERSIONS =
  'documented before API 2026-10-28.endive (replaced by allowed_payment_method_types); kept for clients pinned to an older Stripe-Version';
const STRIPE_JS = 'sent by Stripe.js with a publishable key (docs/keys); the spec documents it only on retrieve';

export const BEYOND_SPEC: Record<string, Record<string, string>> = {
  'POST /v1/payment_intents': { payment_method_types: OLDER_VERSIONS },
  'POST /v1/setup_intents': { payment_method_types: OLDER_VERSIONS },
  'POST /v1/payment_intents/{id}/confirm': { client_secret: STRIPE_JS },
  'POST /v1/setup_intents/{id}/confirm': { client_secret: STRIPE_JS },
};
