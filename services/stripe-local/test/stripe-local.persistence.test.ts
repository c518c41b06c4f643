import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { STATE_FILE } from '../state/state-file.js';
import { newKey, startEmulator, stripeError } from './support/harness.js';

const dirs: string[] = [];
const stateDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stripe-local-state-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const warnings: string[] = [];
const logger = { info() {}, error() {}, warn: (_details: object, message: string) => void warnings.push(message) };

/** An off-session payment with a saved card, as charge-customer makes it. */
const offSession = (customer: string, paymentMethod: string, amount = 2_000) => ({
  amount,
  currency: 'usd',
  customer,
  payment_method: paymentMethod,
  confirm: true,
  off_session: true,
  automatic_payment_methods: { enabled: true, allow_redirects: 'never' as const },
});

/** A saved card paid with, refunded in part, a restricted key and a moved clock: one of most kinds of state. */
async function makeState(emulator: Awaited<ReturnType<typeof startEmulator>>, key: string) {
  const stripe = emulator.stripe(key);
  const customer = await stripe.customers.create({ email: 'kept@example.com', metadata: { plan: 'gold' } });
  const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  const intent = await stripe.paymentIntents.create(offSession(customer.id, card.id), { idempotencyKey: 'pay-once' });
  const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 500 });
  await emulator.control(stripe, 'POST', 'clock/advance', { seconds: 3_600 });
  const restricted = await emulator.control(stripe, 'POST', 'restricted_keys', { 'permissions[customer]': 'read' });
  return { customer, card, intent, refund, restrictedKey: restricted.key as string };
}

describe('stripe-local: state kept in a directory across restarts', () => {
  it('a restart keeps a customer with its card, a succeeded PaymentIntent, its charge, refund, events, idempotency key, clock and keys', async () => {
    const dir = stateDir();
    const key = newKey();
    const first = await startEmulator({ stateDir: dir });
    const made = await makeState(first, key);
    const before = first.stripe(key);
    const charge = await before.charges.retrieve(made.intent.latest_charge as string, { expand: ['refunds'] });
    const events = await before.events.list({ limit: 100 });
    const clock = await first.control(before, 'GET', 'clock');
    await first.stop();

    const second = await startEmulator({ stateDir: dir, logger });
    try {
      const stripe = second.stripe(key);
      expect(await stripe.customers.retrieve(made.customer.id)).toMatchObject({
        email: 'kept@example.com',
        metadata: { plan: 'gold' },
      });
      expect(
        (await stripe.paymentMethods.list({ customer: made.customer.id, type: 'card' })).data.map((pm) => pm.id),
      ).toEqual([made.card.id]);
      expect(await stripe.paymentIntents.retrieve(made.intent.id)).toMatchObject({
        status: 'succeeded',
        amount_received: 2_000,
      });
      expect(await stripe.charges.retrieve(charge.id, { expand: ['refunds'] })).toEqual(charge);
      expect(await stripe.events.list({ limit: 100 })).toEqual(events);
      expect((await second.control(stripe, 'GET', 'clock')).now).toBeGreaterThanOrEqual(clock.now as number);
      // The same key with the same request replays the first answer instead of paying twice.
      const replay = await stripe.paymentIntents.create(offSession(made.customer.id, made.card.id), {
        idempotencyKey: 'pay-once',
      });
      expect(replay.id).toBe(made.intent.id);
      expect((await second.stripe(made.restrictedKey).customers.retrieve(made.customer.id)).id).toBe(made.customer.id);
      // The saved card still pays after the restart.
      const again = await stripe.paymentIntents.create(offSession(made.customer.id, made.card.id, 700));
      expect(again.status).toBe('succeeded');
    } finally {
      await second.stop();
    }
    // And a third start sees what the second wrote after its own load.
    const third = await startEmulator({ stateDir: dir });
    try {
      expect((await third.stripe(key).paymentIntents.list({ customer: made.customer.id })).data).toHaveLength(2);
    } finally {
      await third.stop();
    }
  });

  it('a kill -9 of the emulator process right after its answer keeps what it answered', async () => {
    const dir = stateDir();
    const key = newKey();
    const first = await startChild(dir);
    const customer = await first.stripe(key).customers.create({ email: 'crash@example.com', source: 'tok_visa' });
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const second = await startChild(dir);
    try {
      const kept = await second.stripe(key).customers.retrieve(customer.id);
      expect(kept).toMatchObject({
        id: customer.id,
        email: 'crash@example.com',
        default_source: customer.default_source,
      });
    } finally {
      second.child.kill('SIGKILL');
    }
  });

  it('a last line cut short (a crash mid-write) is dropped with a warning; everything before it loads', async () => {
    const dir = stateDir();
    const key = newKey();
    const first = await startEmulator({ stateDir: dir });
    const customer = await first.stripe(key).customers.create({ email: 'before-the-cut@example.com' });
    await first.stop();
    appendFileSync(path.join(dir, STATE_FILE), '[{"a":"sk_test_x","k":"customers","r":{"id":"cus_');
    warnings.length = 0;
    const second = await startEmulator({ stateDir: dir, logger });
    try {
      expect((await second.stripe(key).customers.retrieve(customer.id)).id).toBe(customer.id);
      expect(warnings).toEqual([expect.stringContaining('the last line of the state file was cut short')]);
    } finally {
      await second.stop();
    }
  });

  it.each([
    ['corrupt', (text: string) => text.replace(/\n\[/, '\n[{not json\n[')],
    ['from an older format version', (text: string) => text.replace('"version":1', '"version":0')],
  ])(
    'a state file %s: a clear error naming the file and what to do, and the file is left untouched',
    async (_name, spoil) => {
      const dir = stateDir();
      const first = await startEmulator({ stateDir: dir });
      const stripe = first.stripe();
      await stripe.customers.create({ email: 'precious@example.com' });
      await stripe.customers.create({ email: 'precious-too@example.com' });
      await first.stop();
      const file = path.join(dir, STATE_FILE);
      writeFileSync(file, spoil(readFileSync(file, 'utf8')));
      const spoiled = readFileSync(file, 'utf8');
      const failure = startEmulator({ stateDir: dir });
      await expect(failure).rejects.toThrow(file);
      await expect(failure).rejects.toThrow(/left as it is\. Move it away/);
      expect(readFileSync(file, 'utf8')).toBe(spoiled);
      expect(spoiled).toContain('precious-too@example.com');
    },
  );

  it('without a state directory nothing is written and a restart is empty, as before', async () => {
    const key = newKey();
    const first = await startEmulator();
    const customer = await first.stripe(key).customers.create({ email: 'gone@example.com' });
    await first.stop();
    const second = await startEmulator();
    try {
      expect((await stripeError(second.stripe(key).customers.retrieve(customer.id))).code).toBe('resource_missing');
    } finally {
      await second.stop();
    }
  });
});

/** The emulator as `npm start` runs it: its own process, started from its bin, its state in `dir`. */
async function startChild(dir: string): Promise<{
  child: ChildProcess;
  stripe: (key: string) => ReturnType<Awaited<ReturnType<typeof startEmulator>>['stripe']>;
}> {
  const bin = fileURLToPath(new URL('../bin/stripe-local.js', import.meta.url));
  const child = fork(bin, [], {
    env: {
      ...process.env,
      STRIPE_LOCAL_PORT: '0',
      STRIPE_LOCAL_DATA_DIR: dir,
      LOG_LEVEL: 'error',
      STRIPE_LOCAL_WEBHOOK_URL: '',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { ready: string }).ready));
    child.once('exit', (code) => reject(new Error(`stripe-local exited with code ${code}`)));
  });
  child.channel?.unref();
  const { default: Stripe } = await import('stripe');
  const { hostname, port } = new URL(url);
  return {
    child,
    stripe: (key) => new Stripe(key, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 0 }),
  };
}
