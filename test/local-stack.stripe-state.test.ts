import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';
import { eventually } from '../packages/testing/eventually.js';
import { createTestDatabase } from './support/database.js';
import { localStackEnv, stackGraphql, stackSignUp } from './support/local-stack.js';

// `npm start` stopped and started again: PostgreSQL keeps its users, their stripeIds and cards, so the
// local Stripe must keep what they point at (DATA_DIR/stripe-local); and when it is started empty
// anyway, a purchase of a customer it no longer knows ends FAILED customer_missing, not PENDING for days.
describe('npm start restarted: the local Stripe keeps its state', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: NodeJS.ProcessEnv;
  let apiUrl: string;
  let dataDir: string;
  let child: ChildProcess | undefined;

  const start = async () => {
    let output = '';
    child = spawn(process.execPath, ['--import', 'tsx', path.join(rootDir, 'dev/start.ts')], {
      cwd: rootDir,
      env: { ...env, WORKER_PROCESS: 'false' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const started = child;
    await eventually(
      async () => {
        if (started.exitCode !== null) throw new Error(`npm start exited: ${output.slice(-2_000)}`);
        return output;
      },
      (text) => text.includes('Paygraph is ready'),
      60_000,
    );
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  beforeAll(async () => {
    database = await createTestDatabase();
    ({ env, apiUrl, dataDir } = await localStackEnv(database.url, 'paygraph-stack-state-'));
  });
  afterAll(async () => {
    await stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const graphql = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
    stackGraphql(apiUrl, query, variables, token);
  const signUpWithCard = async (email: string) => {
    const { userId, token } = await stackSignUp(apiUrl, email);
    await graphql(
      'mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }',
      { u: userId },
      token,
    );
    await eventually(
      () => graphql('{ me { cardDetails { status } } }', {}, token).then((answer) => answer.data!.me.cardDetails[0]),
      (card) => card?.status === 'ACTIVE',
      30_000,
    );
    return { userId, token };
  };
  const buy = async (user: { userId: string; token: string }, amount: number) =>
    (
      await graphql(
        'mutation($u: ID!, $a: Int!) { createPurchase(amount: $a, description: "A restart", userId: $u) { id } }',
        { u: user.userId, a: amount },
        user.token,
      )
    ).data!.createPurchase.id as string;
  const purchasesOf = (user: { token: string }) =>
    graphql('{ me { purchases { id status failureCode } } }', {}, user.token).then(
      (answer) => answer.data!.me.purchases as { id: string; status: string; failureCode: string | null }[],
    );

  it('stopped and started again on the same DATA_DIR: a purchase with the card saved before is PAID', async () => {
    await start();
    const user = await signUpWithCard(`kept-${Date.now()}@example.com`);
    await stop();
    await start();
    await buy(user, 4_200);
    const [purchase] = await eventually(
      () => purchasesOf(user),
      ([found]) => found !== undefined && found.status !== 'PENDING',
      30_000,
    );
    expect(purchase).toMatchObject({ status: 'PAID', failureCode: null });
    await stop();
  }, 180_000);

  it('started with the local Stripe empty in the middle of a stream of purchases: each ends PAID or FAILED customer_missing within seconds', async () => {
    await start();
    const users = await Promise.all([1, 2, 3].map((n) => signUpWithCard(`lost-${n}-${Date.now()}@example.com`)));
    // Purchases in flight when it stops: some paid, some still to be charged after the restart.
    for (const user of users) await buy(user, 1_000);
    await stop();
    rmSync(path.join(dataDir, 'stripe-local'), { recursive: true, force: true });
    await start();
    const restartedAt = Date.now();
    for (const user of users) await buy(user, 2_000);
    const settled = await eventually(
      () => Promise.all(users.map(purchasesOf)).then((lists) => lists.flat()),
      (purchases) => purchases.length === 6 && purchases.every((purchase) => purchase.status !== 'PENDING'),
      { timeoutMs: 30_000, what: 'every purchase PAID or FAILED' },
    );
    expect(Date.now() - restartedAt).toBeLessThan(30_000);
    // A Stripe restarted empty lost the customer and its card alike: which one charge-customer meets first
    // decides the code, customer_missing or (the card forgotten) no_payment_method; either is final and clear.
    for (const purchase of settled)
      expect([
        { status: 'PAID', failureCode: null },
        { status: 'FAILED', failureCode: 'customer_missing' },
        { status: 'FAILED', failureCode: 'no_payment_method' },
      ]).toContainEqual({ status: purchase.status, failureCode: purchase.failureCode });
    // Those bought after the restart were charged to customers the empty Stripe never knew.
    expect(settled.filter((purchase) => purchase.status === 'FAILED').length).toBeGreaterThanOrEqual(3);
    expect(settled.some((purchase) => purchase.failureCode === 'customer_missing')).toBe(true);
  }, 240_000);
});
