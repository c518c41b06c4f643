import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripe } from '../services/lib/stripe-client.js';
import { rootDir } from '../src/config.js';
import { LOCAL_STRIPE_KEY } from '../src/local-stack/index.js';
import { createTestDatabase } from './support/database.js';
import type { GraphQLResponse } from './support/paygraph.js';
import { localStackEnv } from './support/local-stack.js';
import { eventually } from './support/receiver.js';

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
    child = spawn(process.execPath, ['--import', 'tsx', path.join(rootDir, 'src/main.ts')], {
      cwd: rootDir,
      env: { ...env, WORKER_PROCESS: 'false' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(async () => output, (text) => text.includes('Paygraph is ready'), 60_000);
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const graphql = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
    const response = await fetch(`${apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResponse<any>;
  };
  const purchaseOf = (token: string) =>
    graphql('{ me { purchases { id status isPaid amountRefunded stripePaymentIntentId } } }', {}, token).then((answer) => answer.data!.me.purchases[0]);

  it('prints the webhook secret it made; a refund made at the local Stripe reaches the purchase by its event', async () => {
    const secret = /STRIPE_WEBHOOK_SECRET=(whsec_\S+)/.exec(output)?.[1];
    const emulatorUrl = /LOCAL Stripe emulator .* at (http:\/\/[\d.]+:\d+)/.exec(output)?.[1];
    expect(secret).toBeDefined();
    expect(emulatorUrl).toBeDefined();

    // The tutorial's sequence, as a user runs it against npm start.
    const email = `stack-${Date.now()}@example.com`;
    const created = await graphql('mutation($e: String!) { createUser(name: "Nilan", authProvider: { email: { email: $e, password: "correct horse" } }) { id } }', { e: email });
    const userId = created.data!.createUser.id as string;
    const token = (await graphql('mutation($e: String!) { signinUser(email: { email: $e, password: "correct horse" }) { token } }', { e: email })).data!.signinUser.token as string;
    await graphql('mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }', { u: userId }, token);
    await graphql('mutation($u: ID!) { createPurchase(amount: 5000, description: "A new laptop", userId: $u) { id } }', { u: userId }, token);
    const paid = await eventually(() => purchaseOf(token), (purchase) => purchase?.status === 'PAID', 30_000);

    // From Stripe's side, as from its dashboard: the API hears of it only through the webhook.
    const stripe = createStripe(LOCAL_STRIPE_KEY, emulatorUrl);
    await stripe.refunds.create({ payment_intent: paid.stripePaymentIntentId, amount: 2_000 });
    expect(await eventually(() => purchaseOf(token), (purchase) => purchase.status !== 'PAID', 30_000)).toMatchObject({ status: 'PARTIALLY_REFUNDED', isPaid: true, amountRefunded: 2_000 });

    // The printed secret is the one the API verifies with; any other is refused.
    const payload = JSON.stringify({ id: `evt_${Date.now()}`, object: 'event', type: 'ping.local', livemode: false, created: Math.floor(Date.now() / 1000), data: { object: {} } });
    const post = (signingSecret: string) =>
      fetch(`${apiUrl}/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: signingSecret }) }, body: payload });
    expect((await post('whsec_not_the_printed_one')).status).toBe(400);
    expect((await post(secret!)).status).toBe(200);
  }, 120_000);
});
