import { authenticationPage } from '@paygraph/stripe-local';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripe } from '../services/lib/stripe-client.js';
import { rootDir } from '../src/config.js';
import { localStripeKeyFile } from '../dev/local-stack/stripe-key.js';
import { createTestDatabase } from './support/database.js';
import { localStackEnv, stackGraphql, stackSignUp } from './support/local-stack.js';
import { eventually } from '../packages/testing/eventually.js';

// `npm start` wires the local Stripe's webhook to the API's /stripe/webhook with a secret it makes
// and prints: what happens at Stripe after Paygraph's own call (a refund from the dashboard) reaches
// the purchase, with nothing configured by hand.
describe('npm start: Stripe events reach the API', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let apiUrl: string;
  let child: ChildProcess;
  let output = '';
  beforeAll(async () => {
    database = await createTestDatabase();
    let env: NodeJS.ProcessEnv;
    ({ env, apiUrl, dataDir } = await localStackEnv(database.url, 'paygraph-stack-events-'));
    // The worker in the API's own process, as npm start runs it on 2 cores (promises.local-stack runs it apart).
    child = spawn(process.execPath, ['--import', 'tsx', path.join(rootDir, 'dev/start.ts')], {
      cwd: rootDir,
      env: { ...env, WORKER_PROCESS: 'false' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(
      async () => output,
      (text) => text.includes('Paygraph is ready'),
      60_000,
    );
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const graphql = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
    stackGraphql(apiUrl, query, variables, token);
  /** npm start's own key at the local Stripe, where the banner says it is kept. */
  const stackKey = () => readFileSync(localStripeKeyFile(dataDir), 'utf8').trim();
  const signUp = (email: string) => stackSignUp(apiUrl, email);
  const purchaseOf = (token: string) =>
    graphql('{ me { purchases { id status isPaid amountRefunded stripePaymentIntentId } } }', {}, token).then(
      (answer) => answer.data!.me.purchases[0],
    );

  it('prints the webhook secret it made; a refund made at the local Stripe reaches the purchase by its event', async () => {
    const secret = /STRIPE_WEBHOOK_SECRET=(whsec_\S+)/.exec(output)?.[1];
    const emulatorUrl = /LOCAL Stripe emulator .* at (http:\/\/[\d.]+:\d+)/.exec(output)?.[1];
    expect(secret).toBeDefined();
    expect(emulatorUrl).toBeDefined();

    // The tutorial's sequence, as a user runs it against npm start.
    const email = `stack-${Date.now()}@example.com`;
    const { userId, token } = await signUp(email);
    await graphql(
      'mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }',
      { u: userId },
      token,
    );
    await graphql(
      'mutation($u: ID!) { createPurchase(amount: 5000, description: "A new laptop", userId: $u) { id } }',
      { u: userId },
      token,
    );
    const paid = await eventually(
      () => purchaseOf(token),
      (purchase) => purchase?.status === 'PAID',
      30_000,
    );

    // From Stripe's side, as from its dashboard: the API hears of it only through the webhook.
    const stripe = createStripe(stackKey(), emulatorUrl);
    await stripe.refunds.create({ payment_intent: paid.stripePaymentIntentId, amount: 2_000 });
    expect(
      await eventually(
        () => purchaseOf(token),
        (purchase) => purchase.status !== 'PAID',
        30_000,
      ),
    ).toMatchObject({ status: 'PARTIALLY_REFUNDED', isPaid: true, amountRefunded: 2_000 });

    // The printed secret is the one the API verifies with; any other is refused.
    const payload = JSON.stringify({
      id: `evt_${Date.now()}`,
      object: 'event',
      type: 'ping.local',
      livemode: false,
      created: Math.floor(Date.now() / 1000),
      data: { object: {} },
    });
    const post = (signingSecret: string) =>
      fetch(`${apiUrl}/stripe/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: signingSecret }),
        },
        body: payload,
      });
    expect((await post('whsec_not_the_printed_one')).status).toBe(400);
    expect((await post(secret!)).status).toBe(200);
  }, 120_000);

  it("another account's 50-cent payment naming a purchase of 999,999.99 leaves it unpaid; the stack's own payment pays it", async () => {
    const emulatorUrl = /LOCAL Stripe emulator .* at (http:\/\/[\d.]+:\d+)/.exec(output)![1]!;
    // The stack's key is generated, kept owner-only in DATA_DIR, and the banner shows where, never the key.
    const key = stackKey();
    expect(key).toMatch(/^sk_test_[0-9a-f]{64}$/);
    expect(statSync(localStripeKeyFile(dataDir)).mode & 0o777).toBe(0o600);
    expect(output).toContain(localStripeKeyFile(dataDir));
    expect(output).not.toContain(key);

    // A purchase whose card waits for 3-D Secure: unpaid until the stack charges it.
    const { userId, token } = await signUp(`audit-${Date.now()}@example.com`);
    await graphql(
      'mutation($u: ID!) { createCardDetails(cardToken: "pm_card_authenticationRequiredOnSetup", userId: $u) { id } }',
      { u: userId },
      token,
    );
    const cardOf = () =>
      graphql('{ me { cardDetails { status stripeSetupIntentId } } }', {}, token).then(
        (answer) => answer.data!.me.cardDetails[0],
      );
    const card = await eventually(cardOf, (found) => found?.status === 'REQUIRES_ACTION', 30_000);
    await graphql(
      'mutation($u: ID!) { createPurchase(amount: 99999999, description: "Everything", userId: $u) { id } }',
      { u: userId },
      token,
    );
    const purchase = await eventually(
      () => purchaseOf(token),
      (found) => found?.status === 'PENDING',
    );

    // The audit's request, from the key the repository used to publish and from any other.
    const attackers: string[] = [];
    for (const otherKey of ['sk_test_paygraph_local', `sk_test_${Date.now()}`]) {
      const response = await fetch(`${emulatorUrl}/v1/payment_intents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${otherKey}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: `amount=50&currency=usd&payment_method=pm_card_visa&confirm=true&return_url=https://attacker.example/&metadata[purchaseId]=${purchase.id}`,
      });
      const intent = (await response.json()) as Stripe.PaymentIntent;
      expect(intent.status).toBe('succeeded');
      attackers.push(intent.id);
    }
    // Then one of the stack's own: its account's events reach the API in order, so once this one is in, any earlier would be.
    const stripe = createStripe(key, emulatorUrl);
    const marker = await stripe.paymentIntents.create({
      amount: 100,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const received = (id: string) =>
        db
          .query("select 1 from stripe_event where payload->'data'->'object'->>'id' = $1", [id])
          .then((result) => result.rowCount ?? 0);
      await eventually(
        () => received(marker.id),
        (count) => count > 0,
        30_000,
      );
      expect(await Promise.all(attackers.map(received))).toEqual([0, 0]);
    } finally {
      await db.end();
    }
    expect(await purchaseOf(token)).toMatchObject({ status: 'PENDING', isPaid: false, stripePaymentIntentId: null });

    // The stack's own payment, once the cardholder has passed 3-D Secure, pays it in full.
    const page = authenticationPage((await stripe.setupIntents.retrieve(card.stripeSetupIntentId)).next_action);
    expect(
      (
        await fetch(page, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'outcome=complete',
        })
      ).status,
    ).toBe(200);
    const paid = await eventually(
      () => purchaseOf(token),
      (found) => found.status === 'PAID',
      30_000,
    );
    expect(attackers).not.toContain(paid.stripePaymentIntentId);
    expect(await stripe.paymentIntents.retrieve(paid.stripePaymentIntentId)).toMatchObject({
      amount: 99_999_999,
      status: 'succeeded',
      metadata: { purchaseId: purchase.id },
    });
  }, 120_000);
});
