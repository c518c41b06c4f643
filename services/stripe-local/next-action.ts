import type { Account } from './account.js';

/** Where the cardholder authenticates: the emulator's 3-D Secure page (`POST outcome=complete|fail` answers it). */
export function nextAction(account: Account, token: string, returnUrl: string | null): object {
  return { type: 'redirect_to_url', redirect_to_url: { return_url: returnUrl, url: `${account.hooks.baseUrl()}/authenticate/${token}` } };
}
