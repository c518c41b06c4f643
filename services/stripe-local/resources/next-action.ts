import type { Account } from './account.js';
import { emit } from './events.js';

/** Where the cardholder authenticates: the emulator's 3-D Secure page (`POST outcome=complete|fail` answers it). */
export function nextAction(account: Account, token: string, returnUrl: string | null): object {
  return {
    type: 'redirect_to_url',
    redirect_to_url: { return_url: returnUrl, url: `${account.hooks.baseUrl()}/authenticate/${token}` },
  };
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
