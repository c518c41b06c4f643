import type { Account } from './account.js';
import { emit } from './events.js';

/**
 * Where the cardholder authenticates: the emulator's 3-D Secure page (`POST outcome=complete|fail` answers it).
 * With a `return_url` Stripe redirects there and back; without one Stripe.js handles it in the page
 * (`use_stripe_sdk`, api/payment_intents/object#payment_intent_object-next_action), and its
 * `stripe_js` (the URL Stripe.js opens for a 3-D Secure redirect) is this page too.
 */
export function nextAction(account: Account, token: string, returnUrl: string | null): object {
  const url = `${account.hooks.baseUrl()}/authenticate/${token}`;
  if (returnUrl === null)
    return { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: url } };
  return { type: 'redirect_to_url', redirect_to_url: { return_url: returnUrl, url } };
}

/** An intent the bank wants authenticated: it waits in requires_action, with a 3-D Secure page of its own. */
export function awaitCardholder<T extends { id: string; status: string; authentication: string | null }>(
  account: Account,
  intent: T,
  eventType: string,
  render: (intent: T) => object,
): object {
  intent.status = 'requires_action';
  intent.authentication = account.hooks.registerAuthentication(account, intent.id);
  const rendered = render(intent);
  emit(account, eventType, rendered);
  return rendered;
}

/** The emulator's 3-D Secure page a `next_action` leads to, in either of the forms above (for tests and tools). */
export function authenticationPage(
  action: { redirect_to_url?: { url?: string | null } | null; use_stripe_sdk?: object | null } | null,
): string {
  const url =
    action?.redirect_to_url?.url ?? (action?.use_stripe_sdk as { stripe_js?: string } | null | undefined)?.stripe_js;
  if (!url) throw new Error('this next_action leads to no 3-D Secure page');
  return url;
}
