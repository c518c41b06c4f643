import { spawnSync } from 'node:child_process';

/**
 * npm run test:stripe-live: the services' and the payment workflow's tests (test/live) against Stripe's
 * own test mode, when STRIPE_SECRET_KEY is a test-mode key; skipped with one line otherwise. `npm test`
 * runs the same files against the local emulator (docs/stripe.md).
 */
const key = process.env.STRIPE_SECRET_KEY ?? '';
if (!key.startsWith('sk_test_')) {
  console.log(
    'test:stripe-live skipped: set STRIPE_SECRET_KEY=sk_test_... (a Stripe test-mode key) to run test/live against Stripe (docs/stripe.md); npm test runs it against the local emulator.',
  );
  process.exit(0);
}
if (!process.env.STRIPE_WEBHOOK_SECRET)
  console.log(
    `test:stripe-live: no STRIPE_WEBHOOK_SECRET, so the tests that need Stripe's events are skipped; run \`stripe listen --forward-to localhost:${process.env.STRIPE_LIVE_PORT ?? 4000}/stripe/webhook\` and set the secret it prints.`,
  );
const run = spawnSync('npx', ['vitest', 'run', 'test/live', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, STRIPE_LIVE: '1' },
});
process.exit(run.status ?? 1);
