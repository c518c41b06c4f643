import { createLogger } from '../../packages/base/logger.js';
import { withSecretFiles } from '../../packages/base/secret-files.js';
import { stopWithParent } from '../../packages/base/parent-process.js';
import { startStripeLocal } from './index.js';
import { StateFileError } from './state/state-file.js';

/**
 * `npm run service:stripe-local`: the emulator alone, on STRIPE_LOCAL_HOST:STRIPE_LOCAL_PORT
 * (127.0.0.1:12111). STRIPE_LOCAL_WEBHOOK_URL, when set, is a webhook endpoint of the account whose key is
 * STRIPE_LOCAL_ACCOUNT_KEY: it receives that account's events, no other's. STRIPE_LOCAL_DATA_DIR, when set, is
 * where every account's state is kept across restarts (in memory only without it). Started by a parent
 * over IPC (local-stripe.ts), it reports its URL there and exits when the parent goes.
 */
const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
// The *_FILE forms: the secret the API verifies with and the key it pays with, from the deployment's secrets volume.
const env = withSecretFiles(process.env, ['STRIPE_LOCAL_WEBHOOK_SECRET', 'STRIPE_LOCAL_ACCOUNT_KEY']);
const production = process.env.NODE_ENV === 'production';
const stateDir = process.env.STRIPE_LOCAL_DATA_DIR || undefined;
const port = Number(process.env.STRIPE_LOCAL_PORT ?? 12111);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(
    `stripe-local cannot start: STRIPE_LOCAL_PORT must be a port number, not '${process.env.STRIPE_LOCAL_PORT}'`,
  );
  process.exit(2);
}
// Stripe's search lags behind writes (docs/search#data-freshness): the test suites set a few hundred ms.
const searchLagMs = Number(process.env.STRIPE_LOCAL_SEARCH_LAG_MS || 0);
if (!Number.isInteger(searchLagMs) || searchLagMs < 0 || searchLagMs > 600_000) {
  console.error(
    `stripe-local cannot start: STRIPE_LOCAL_SEARCH_LAG_MS must be milliseconds from 0 to 600000, not '${process.env.STRIPE_LOCAL_SEARCH_LAG_MS}'`,
  );
  process.exit(2);
}
// An endpoint belongs to one account, as at Stripe: without one named, any key could reach the receiver.
if (env.STRIPE_LOCAL_WEBHOOK_URL && !env.STRIPE_LOCAL_ACCOUNT_KEY) {
  console.error(
    'stripe-local cannot start: STRIPE_LOCAL_WEBHOOK_URL needs STRIPE_LOCAL_ACCOUNT_KEY, the secret key (sk_test_...) of the account whose events it receives',
  );
  process.exit(2);
}

try {
  const stripeLocal = await startStripeLocal({
    port,
    host: process.env.STRIPE_LOCAL_HOST ?? '127.0.0.1',
    ...(env.STRIPE_LOCAL_WEBHOOK_URL && {
      webhook: {
        accountKey: env.STRIPE_LOCAL_ACCOUNT_KEY!,
        url: env.STRIPE_LOCAL_WEBHOOK_URL,
        ...(env.STRIPE_LOCAL_WEBHOOK_SECRET && { secret: env.STRIPE_LOCAL_WEBHOOK_SECRET }),
        // Comma-separated event types, as a Stripe endpoint's enabled_events; every type when unset.
        ...(env.STRIPE_LOCAL_WEBHOOK_EVENTS && { events: env.STRIPE_LOCAL_WEBHOOK_EVENTS.split(',') }),
      },
    }),
    // The fault and clock controls are for test suites; a production-mode process never offers them.
    controls: !production,
    searchLagMs,
    logger,
    ...(stateDir && { stateDir }),
  });
  const generatedSecret =
    process.env.STRIPE_LOCAL_WEBHOOK_URL && !env.STRIPE_LOCAL_WEBHOOK_SECRET ? stripeLocal.webhookSecret : undefined;
  const kept = stateDir
    ? `State is kept in ${stateDir}.`
    : 'ALL STATE IS IN MEMORY AND FORGOTTEN ON RESTART (set STRIPE_LOCAL_DATA_DIR to keep it).';
  logger.warn(
    { url: stripeLocal.url, webhook: process.env.STRIPE_LOCAL_WEBHOOK_URL ?? null, controls: !production, stateDir },
    `stripe-local: a LOCAL Stripe emulator (test-mode keys only, no real money). ${kept}`,
  );
  console.log(`\n  stripe-local at ${stripeLocal.url}: LOCAL Stripe emulator, test keys only.\n  ${kept}\n`);
  // Printed once, like Stripe's dashboard shows a new endpoint's secret.
  if (generatedSecret) console.log(`STRIPE_LOCAL_WEBHOOK_SECRET=${generatedSecret}`);
  process.send?.({ ready: stripeLocal.url, webhookSecret: stripeLocal.webhookSecret ?? null });
  const shutdown = () => void stripeLocal.stop().then(() => process.exit(0));
  process.once('SIGTERM', shutdown).once('SIGINT', shutdown);
  // The parent that started this process owns it: when the parent goes, so does the emulator.
  stopWithParent(shutdown);
} catch (error) {
  const message = (error as Error).message;
  console.error(
    error instanceof StateFileError
      ? `stripe-local ${message}`
      : `stripe-local cannot start on port ${port}: ${message}`,
  );
  process.exit(1);
}
