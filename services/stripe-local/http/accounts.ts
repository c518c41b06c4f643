import { authenticationError } from '../errors.js';
import { Account, type AccountHooks } from '../resources/account.js';

/** What Stripe accepts as a test-mode secret key here. */
export const TEST_KEY = /^sk_test_[A-Za-z0-9_]{1,247}$/;
const NO_KEY =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";

/** Every secret key seen so far, each its own account, made at its first request. */
export class Accounts {
  private readonly byKey = new Map<string, Account>();

  constructor(private readonly hooks: AccountHooks) {}

  get size(): number {
    return this.byKey.size;
  }

  /** The account of a request's `Authorization` (Bearer, or Basic with the key as user name, as Stripe takes it). */
  fromAuthorization(authorization: string | undefined): Account {
    const key = apiKey(authorization);
    if (!key) throw authenticationError(NO_KEY);
    return this.of(key);
  }

  of(key: string): Account {
    const shown = `${key.slice(0, 8)}****${key.slice(-4)}`;
    if (!TEST_KEY.test(key)) {
      const why =
        key.startsWith('sk_live_') || key.startsWith('rk_live_')
          ? ' stripe-local accepts test-mode keys (sk_test_...) only: it never moves real money.'
          : '';
      throw authenticationError(`Invalid API Key provided: ${shown}.${why}`);
    }
    let account = this.byKey.get(key);
    if (!account) this.byKey.set(key, (account = new Account(key, this.hooks)));
    return account;
  }
}

function apiKey(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme = ''] = authorization.trim().split(/\s/, 1);
  const credentials = authorization.trim().slice(scheme.length).trim();
  if (/^bearer$/i.test(scheme)) return credentials || undefined;
  if (/^basic$/i.test(scheme)) return Buffer.from(credentials, 'base64').toString().split(':')[0] || undefined;
  return undefined;
}
