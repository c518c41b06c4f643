import { randomBytes } from 'node:crypto';
import type { Account } from '../resources/account.js';
import { completePaymentAuthentication } from '../resources/payment-intents.js';
import { completeSetupAuthentication } from '../resources/setup-intents.js';
import { AUTHENTICATION_FRAME } from '../stripejs/protocol.js';

export interface PageResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

const page = (status: number, title: string, content: string, script = ''): PageResponse => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em"><h1>${escapeHtml(title)}</h1>${content}${script}</body></html>`,
});

/** The page that opened this one in Stripe.js's modal (`?origin=`), the only one told of the answer. */
function openerOrigin(query: URLSearchParams): string | null {
  const value = query.get('origin');
  if (!value || !URL.canParse(value)) return null;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value ? value : null;
}

/** In the modal: tell the page the cardholder answered, or (while asking) fail when the page's modal is closed. */
function modalScript(origin: string | null, kind: 'asking' | 'done'): string {
  if (!origin) return '';
  const target = JSON.stringify(origin).replace(/</g, '\\u003c');
  const source = JSON.stringify(AUTHENTICATION_FRAME);
  if (kind === 'done') return `<script>parent.postMessage({ source: ${source}, type: 'done' }, ${target});</script>`;
  return `<script>const fail = () => document.querySelector('input[value=fail]').form.submit();
addEventListener('keydown', (event) => event.key === 'Escape' && fail());
addEventListener('message', (event) => {
  if (event.origin !== ${target} || event.source !== parent || event.data?.source !== ${source} || event.data.type !== 'cancel') return;
  fail();
});</script>`;
}

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

  handle(method: string, token: string, form: URLSearchParams, query = new URLSearchParams()): PageResponse {
    const opener = openerOrigin(query);
    const entry = this.waiting.get(token);
    const intent =
      entry &&
      (entry.intentId.startsWith('pi_')
        ? entry.account.paymentIntents.get(entry.intentId)
        : entry.account.setupIntents.get(entry.intentId));
    if (!entry || !intent || intent.authentication !== token) {
      this.waiting.delete(token);
      return page(
        404,
        'Nothing to authenticate',
        '<p>This authentication is finished or does not exist.</p>',
        modalScript(opener, 'done'),
      );
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
        modalScript(opener, 'asking'),
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
    // In Stripe.js's modal the page stays where it is; a return_url is for a full-page redirect.
    if (!opener && intent.returnUrl && URL.canParse(intent.returnUrl)) {
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
      modalScript(opener, 'done'),
    );
  }
}
