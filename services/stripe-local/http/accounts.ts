import { createHash } from 'node:crypto';
import { z } from 'zod';
import { authenticationError, invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import { Account, type AccountHooks } from '../resources/account.js';
import { CONTROL_PATH } from './controls.js';
import type { FormObject } from './form-body.js';
import { parse } from './params.js';
import type { Route } from './router.js';

/** What Stripe accepts as a test-mode secret key here. */
export const TEST_KEY = /^sk_test_[A-Za-z0-9_]{1,247}$/;
/** `pk_test_X` is the publishable key of the account whose secret key is `sk_test_X`. */
const PUBLISHABLE_KEY = /^pk_test_([A-Za-z0-9_]{1,247})$/;
const RESTRICTED_KEY = /^rk_test_[A-Za-z0-9_]{1,247}$/;
const NO_KEY =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";
const PUBLISHABLE_REFUSED =
  'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.';

/** The publishable key paired with an account's secret key (`npm start` hands it to a browser). */
export const publishableKeyOf = (secretKey: string) => secretKey.replace(/^sk_test_/, 'pk_test_');

type Access = 'read' | 'write';
/** A restricted key's permissions: a resource (the API path's first segment, singular) and its access; absent is none. */
export type Permissions = Partial<Record<string, Access>>;

/** Who made a request: the account, and which of its keys (docs/keys: secret, publishable or restricted). */
export type Caller =
  | { kind: 'secret' | 'publishable'; account: Account; key: string }
  | { kind: 'restricted'; account: Account; key: string; permissions: Permissions };

/** Every secret key seen so far, each its own account, made at its first request. */
export class Accounts {
  private readonly byKey = new Map<string, Account>();
  private readonly restricted = new Map<string, { account: Account; permissions: Permissions }>();

  constructor(private readonly hooks: AccountHooks) {}

  get size(): number {
    return this.byKey.size;
  }

  [Symbol.iterator](): IterableIterator<Account> {
    return this.byKey.values();
  }

  /** The caller of a request's `Authorization` (Bearer, or Basic with the key as user name, as Stripe takes it). */
  fromAuthorization(authorization: string | undefined): Caller {
    const key = apiKey(authorization);
    if (!key) throw authenticationError(NO_KEY);
    const publishable = PUBLISHABLE_KEY.exec(key);
    if (publishable) return { kind: 'publishable', account: this.of(`sk_test_${publishable[1]}`), key };
    const restricted = this.restricted.get(key);
    if (restricted) return { kind: 'restricted', key, ...restricted };
    return { kind: 'secret', account: this.of(key), key };
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

  /** Makes (or re-permits) a restricted key of an account, as the Dashboard's "Create restricted key" does. */
  restrict(account: Account, key: string, permissions: Permissions): void {
    const owner = this.restricted.get(key)?.account;
    if (owner && owner !== account)
      throw invalidRequest(`The key ${key} belongs to another account.`, { param: 'key' });
    this.restricted.set(key, { account, permissions });
    this.hooks.touched?.(account, 'restrictedKeys', { id: key, permissions } as { id: string });
  }
}

/**
 * Whether the caller's key may make this call: a secret key anything, a publishable key what Stripe.js
 * does (docs/keys), a restricted key what its permissions allow (GET reads, POST and DELETE write).
 */
export function authorize(
  caller: Caller,
  method: string,
  routePath: string,
  path: Record<string, string>,
  params: FormObject,
) {
  if (caller.kind === 'publishable') authorizePublishable(caller.account, `${method} ${routePath}`, path, params);
  if (caller.kind === 'restricted') {
    const resource = resourceOf(routePath);
    const needed: Access = method === 'GET' ? 'read' : 'write';
    const granted = caller.permissions[resource];
    if (granted !== 'write' && granted !== needed) throw permissionError(caller, `${resource}_${needed}`);
  }
}

// What Stripe.js calls with a publishable key; an intent only with its client_secret (api/payment_intents/retrieve).
const PUBLISHABLE_CALLS: Record<string, 'payment_intent' | 'setup_intent' | null> = {
  'POST /v1/tokens': null,
  'POST /v1/payment_methods': null,
  'GET /v1/payment_intents/:id': 'payment_intent',
  'POST /v1/payment_intents/:id/confirm': 'payment_intent',
  'GET /v1/setup_intents/:id': 'setup_intent',
  'POST /v1/setup_intents/:id/confirm': 'setup_intent',
};

function authorizePublishable(account: Account, call: string, path: Record<string, string>, params: FormObject) {
  const intentKind = PUBLISHABLE_CALLS[call];
  if (intentKind === undefined) throw authenticationError(PUBLISHABLE_REFUSED);
  if (intentKind === null) return;
  const secret = params.client_secret;
  if (typeof secret !== 'string') throw authenticationError(PUBLISHABLE_REFUSED);
  const intent =
    intentKind === 'payment_intent' ? account.paymentIntents.get(path.id!) : account.setupIntents.get(path.id!);
  // An unknown id is the route's own 404.
  if (intent && intent.clientSecret !== secret) {
    const name = intentKind === 'payment_intent' ? 'PaymentIntent' : 'SetupIntent';
    throw invalidRequest(`The client_secret provided does not match the client_secret associated with the ${name}.`, {
      param: 'client_secret',
    });
  }
}

/** `/v1/payment_intents/:id/confirm` is the `payment_intent` resource; the control path is `test_helper`. */
function resourceOf(routePath: string): string {
  return (routePath.split('/')[2] ?? '').replace(/s$/, '');
}

/** Stripe's 403 for a restricted key without the permission (the key masked, its account named). */
function permissionError(caller: Caller, permission: string) {
  const tail = caller.key.slice('rk_test_'.length);
  const shown = `rk_test_${'*'.repeat(Math.max(0, tail.length - 6))}${tail.slice(-6)}`;
  const accountId = `acct_${createHash('sha256').update(caller.account.key).digest('hex').slice(0, 16)}`;
  return invalidRequest(
    `The provided key '${shown}' does not have the required permissions for this endpoint on account '${accountId}'. Having the 'rak_${permission}' permission would allow this request to continue.`,
    { status: 403 },
  );
}

const access = z.enum(['none', 'read', 'write']);
const RESOURCES = [
  'customer',
  'token',
  'payment_method',
  'setup_intent',
  'payment_intent',
  'charge',
  'refund',
  'dispute',
  'event',
  'webhook_endpoint',
  'test_helper',
];
const restrictParams = z.strictObject({
  key: z.string().regex(RESTRICTED_KEY).optional(),
  permissions: z.strictObject(Object.fromEntries(RESOURCES.map((name) => [name, access.optional()]))).optional(),
});

/** The test-only control that makes a restricted key of the calling account (Stripe makes them in its Dashboard). */
export function restrictedKeyRoutes(accounts: Accounts): Route[] {
  return [
    {
      method: 'POST',
      path: `${CONTROL_PATH}/restricted_keys`,
      handler({ account, params }) {
        const input = parse(restrictParams, params);
        const key = input.key ?? newId('rk_test', 99);
        const permissions: Permissions = {};
        for (const [resource, level] of Object.entries(input.permissions ?? {}))
          if (level === 'read' || level === 'write') permissions[resource] = level;
        accounts.restrict(account, key, permissions);
        return { object: 'stripe_local.restricted_key', key, permissions };
      },
    },
  ];
}

function apiKey(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme = ''] = authorization.trim().split(/\s/, 1);
  const credentials = authorization.trim().slice(scheme.length).trim();
  if (/^bearer$/i.test(scheme)) return credentials || undefined;
  if (/^basic$/i.test(scheme)) return Buffer.from(credentials, 'base64').toString().split(':')[0] || undefined;
  return undefined;
}
