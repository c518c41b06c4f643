import { randomBytes } from 'node:crypto';
import { startLocalStripe } from '../../services/lib/local-stripe.js';

/**
 * The one place the live suite's Stripe comes from: Stripe's own test mode when `npm run
 * test:stripe-live` runs it with STRIPE_SECRET_KEY=sk_test_..., else the local emulator (as in `npm test`),
 * so the suite itself is exercised on every run. Live, only the key and the base URL change.
 */
export interface StripeTarget {
  /** `stripe` (Stripe's test mode) or `emulator`. */
  kind: 'stripe' | 'emulator';
  key: string;
  /** The SDK's default (api.stripe.com) when undefined. */
  apiUrl: string | undefined;
  stop(): Promise<void>;
}

/** Set by scripts/test-stripe-live.ts, only when STRIPE_SECRET_KEY is a test-mode key. */
export const LIVE = process.env.STRIPE_LIVE === '1';

/**
 * What signs the events the API receives: live, the secret `stripe listen` prints (STRIPE_WEBHOOK_SECRET), for
 * the events it forwards to http://localhost:STRIPE_LIVE_PORT/stripe/webhook; else one the emulator is given.
 */
export const WEBHOOK_SECRET = LIVE ? process.env.STRIPE_WEBHOOK_SECRET : `whsec_${randomBytes(24).toString('base64')}`;
/** The API's port in a live run, where `stripe listen --forward-to` sends events; any free port otherwise. */
export const API_PORT = LIVE ? (process.env.STRIPE_LIVE_PORT ?? '4000') : '0';

/** Stripe, or the emulator; `webhookUrl` is where the emulator sends the account's events (live, `stripe listen` does). */
export async function startStripeTarget(webhookUrl?: string): Promise<StripeTarget> {
  if (LIVE) {
    const key = process.env.STRIPE_SECRET_KEY ?? '';
    // Never anything but test mode: the suite makes customers and payments.
    if (!key.startsWith('sk_test_')) throw new Error('the live suite runs only with a test-mode key (sk_test_...)');
    return { kind: 'stripe', key, apiUrl: undefined, stop: async () => {} };
  }
  const key = `sk_test_live_suite_${randomBytes(8).toString('hex')}`;
  const emulator = await startLocalStripe(
    webhookUrl ? { webhook: { accountKey: key, url: webhookUrl, secret: WEBHOOK_SECRET! } } : {},
  );
  return { kind: 'emulator', key, apiUrl: emulator.url, stop: emulator.stop };
}
