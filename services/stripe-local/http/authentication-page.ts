import { randomBytes } from 'node:crypto';
import type { Account } from '../resources/account.js';
import { completePaymentAuthentication } from '../resources/payment-intents.js';
import { completeSetupAuthentication } from '../resources/setup-intents.js';

export interface PageResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

const page = (status: number, title: string, content: string): PageResponse => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body: `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto"><h1>${escapeHtml(title)}</h1>${content}</body></html>`,
});

/**
 * The 3-D Secure page `next_action.redirect_to_url.url` points at, standing in for the bank's: it
 * needs no API key (a browser has none), so each waiting intent gets an unguessable token.
 * `POST outcome=complete` passes the authentication, `outcome=fail` fails it.
 */
export class AuthenticationPages {
  private readonly waiting = new Map<string, { account: Account; intentId: string }>();

  register(account: Account, intentId: string): string {
    const token = `auth_${randomBytes(18).toString('base64url')}`;
    this.waiting.set(token, { account, intentId });
    return token;
  }

  handle(method: string, token: string, form: URLSearchParams): PageResponse {
    const entry = this.waiting.get(token);
    const intent =
      entry &&
      (entry.intentId.startsWith('pi_')
        ? entry.account.paymentIntents.get(entry.intentId)
        : entry.account.setupIntents.get(entry.intentId));
    if (!entry || !intent || intent.authentication !== token) {
      this.waiting.delete(token);
      return page(404, 'Nothing to authenticate', '<p>This authentication is finished or does not exist.</p>');
    }
    const amount =
      'amount' in intent
        ? `<p>Payment of ${intent.amount} ${escapeHtml(intent.currency.toUpperCase())} (smallest unit)</p>`
        : '<p>Saving a card for later payments</p>';
    if (method === 'GET') {
      const button = (outcome: string, label: string) =>
        `<form method="post" style="display:inline"><input type="hidden" name="outcome" value="${outcome}"><button type="submit">${label}</button></form> `;
      return page(
        200,
        '3D Secure test page (stripe-local)',
        `${amount}${button('complete', 'Complete authentication')}${button('fail', 'Fail authentication')}`,
      );
    }
    if (method !== 'POST') return page(405, 'Method not allowed', '<p>GET shows the page, POST answers it.</p>');
    const outcome = form.get('outcome');
    if (outcome !== 'complete' && outcome !== 'fail')
      return page(
        400,
        'Invalid outcome',
        '<p>The form field <code>outcome</code> must be <code>complete</code> or <code>fail</code>.</p>',
      );
    this.waiting.delete(token);
    const { account } = entry;
    account.request = { id: null, idempotency_key: null };
    const passed = outcome === 'complete';
    if ('amount' in intent) completePaymentAuthentication(account, intent, passed);
    else completeSetupAuthentication(account, intent, passed);
    if (intent.returnUrl && URL.canParse(intent.returnUrl)) {
      const back = new URL(intent.returnUrl);
      const kind = 'amount' in intent ? 'payment_intent' : 'setup_intent';
      back.searchParams.set(kind, intent.id);
      back.searchParams.set(`${kind}_client_secret`, intent.clientSecret);
      back.searchParams.set('redirect_status', intent.status === 'succeeded' ? 'succeeded' : 'failed');
      return { status: 303, headers: { location: back.toString() }, body: '' };
    }
    return page(
      200,
      passed ? 'Authentication complete' : 'Authentication failed',
      `<p>The ${'amount' in intent ? 'payment' : 'setup'} is now ${escapeHtml(intent.status)}. You can close this page.</p>`,
    );
  }
}
