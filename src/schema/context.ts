import type { Identity } from '../auth/identity.js';
import type { SigninThrottle } from '../auth/signin-throttle.js';
import type { CallbackAdmin } from '../callbacks/admin.js';
import type { EventRecorder } from '../callbacks/events.js';
import type { Db } from '../db/client.js';
import type { User } from '../generated/prisma/client.js';
import type { ChangeFeed } from '../live/change-feed.js';
import type { StripeJsConfig } from './stripe-config.js';

/** Everything a resolver may use; built once per request (or per callback delivery, as `system`). */
export interface Context {
  /** During a mutation request, that request's one transaction (src/request/mutation-transaction.ts). */
  db: Db;
  identity: Identity;
  events: EventRecorder;
  callbacks: CallbackAdmin;
  sessionTtlHours: number;
  /** Tells this process's identity cache a session or token is being revoked (src/auth/identity-cache.ts). */
  revokingIdentity: (id: string) => void;
  /** Whether the Stripe key in use is live: new purchases and cards record it, and events of the other mode never touch them. */
  stripeLivemode: boolean;
  /** How long a purchase waits for its card's 3-D Secure before it fails (CARD_AUTHENTICATION_TIMEOUT_HOURS). */
  cardAuthenticationTimeoutMs: number;
  /** What the stripeConfig query answers (STRIPE_PUBLISHABLE_KEY, STRIPE_JS_URL); unset outside requests. */
  stripeJs?: StripeJsConfig;
  signinThrottle: SigninThrottle;
  /** Depth and cost limits of this request (none for the callbacks engine's own payloads). */
  queryLimits: { depth?: number; complexity?: number };
  /** The client's IP address, for the sign-in throttle. */
  clientAddress: string;
  /** Committed changes, for subscriptions (fed by PostgreSQL LISTEN in API processes). */
  live: ChangeFeed;
  /** New passwords of this request, hashed before its transaction opened (src/request/passwords-before-transaction.ts). */
  passwordHashes?: ReadonlyMap<string, string>;
  /** Sign-in credentials of this request, checked before its transaction opened, by credentialsKey. */
  checkedCredentials?: ReadonlyMap<string, { user: User | null; valid: boolean }>;
}
