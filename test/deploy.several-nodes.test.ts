import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RequestHandler } from 'micro';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';
import { createAccessToken } from '../src/auth/access-tokens.js';
import { createPrismaClient } from '../src/db/client.js';
import type { RunningPostgres } from '../src/db/embedded-postgres.js';
import { chargeCustomerHandler } from '../services/charge-customer/index.js';
import { createCustomerHandler } from '../services/create-customer/index.js';
import { startLocalStripe } from '../services/lib/local-stripe.js';
import { paygraphClient } from '../services/lib/paygraph-client.js';
import { createStripe } from '../services/lib/stripe-client.js';
import { eventually } from '../packages/testing/eventually.js';
import { listen } from '../packages/testing/listen.js';
import { TEST_SIGNING_SECRET } from '../packages/testing/signing-secret.js';
import { startOwnPostgres } from './support/database.js';
import { TEST_STRIPE_KEY, TEST_STRIPE_WEBHOOK_SECRET } from './support/payment-stack.js';
import { graphqlAt, signUpAt, startPaygraphProcess, type PaygraphProcess } from './support/paygraph-process.js';

const USERS = 8;
const PURCHASES = 30;
const IN_FLIGHT = 6;

// docs/several-nodes.md: two API processes and two worker processes on one PostgreSQL started apart
// from them, the repository's callbacks.yml, both services and the local Stripe.
describe('two API and two worker processes on one database, one of each killed mid-load', () => {
  let dataDir: string;
  let postgres: RunningPostgres;
  let stripeServer: Awaited<ReturnType<typeof startLocalStripe>>;
  const services: { close(): Promise<void> }[] = [];
  const nodes: PaygraphProcess[] = [];
  const scratch = mkdtempSync(path.join(tmpdir(), 'paygraph-nodes-'));
  const handlers: Record<string, RequestHandler> = {};
  let apiA: PaygraphProcess;
  let apiB: PaygraphProcess;
  let workerA: PaygraphProcess;

  beforeAll(async () => {
    ({ dataDir, postgres } = await startOwnPostgres('paygraph-nodes-pg-'));
    // The services listen first, so the nodes' callbacks.yml can name them; their handlers come once an API answers.
    const createCustomer = await listen(async (req, res) => handlers.create!(req, res));
    const chargeCustomer = await listen(async (req, res) => handlers.charge!(req, res));
    services.push(createCustomer, chargeCustomer);
    const env = {
      DATABASE_URL: postgres.url,
      DATA_DIR: scratch,
      CALLBACKS_FILE: path.join(rootDir, 'callbacks.yml'),
      CALLBACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      CREATE_CUSTOMER_URL: createCustomer.url,
      CHARGE_CUSTOMER_URL: chargeCustomer.url,
      STRIPE_WEBHOOK_SECRET: TEST_STRIPE_WEBHOOK_SECRET,
      WORKER_CONCURRENCY: '8',
      CALLBACK_RETRY_BASE_MS: '200',
      // A killed worker's deliveries are taken over once their lease (timeout + half of this) runs out.
      STALE_LOCK_GRACE_MS: '1000',
    };
    nodes.push(
      ...(await Promise.all([
        startPaygraphProcess('api', env),
        startPaygraphProcess('api', env),
        startPaygraphProcess('worker', env),
        startPaygraphProcess('worker', env),
      ])),
    );
    [apiA, apiB, workerA] = nodes as [PaygraphProcess, PaygraphProcess, PaygraphProcess];
    // Stripe's events, and the services' write-backs, go to the API that stays up.
    stripeServer = await startLocalStripe({
      webhook: { accountKey: TEST_STRIPE_KEY, url: `${apiB.url}/stripe/webhook`, secret: TEST_STRIPE_WEBHOOK_SECRET },
    });
    const db = createPrismaClient(postgres.url, 1);
    const token = async (scope: 'customers:write' | 'purchases:settle') =>
      (await createAccessToken(db, `several nodes ${scope}`, [scope])).token;
    const stripe = createStripe(TEST_STRIPE_KEY, stripeServer.url);
    const common = { stripe, signingSecret: TEST_SIGNING_SECRET, returnUrl: `${apiB.url}/console/` };
    const logger = pino({ level: 'silent' });
    handlers.create = createCustomerHandler({
      ...common,
      paygraph: paygraphClient(`${apiB.url}/graphql`, await token('customers:write')),
      logger,
    });
    handlers.charge = chargeCustomerHandler({
      ...common,
      paygraph: paygraphClient(`${apiB.url}/graphql`, await token('purchases:settle')),
      logger,
    });
    await db.$disconnect();
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await Promise.all(services.map((service) => service.close()));
    await stripeServer?.stop();
    await postgres?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('every purchase an API answered is paid exactly once, and nothing is charged and left unpaid', async () => {
    const apis = [apiA.url!, apiB.url!];
    const users = await Promise.all(
      Array.from({ length: USERS }, async (_, i) => {
        const api = apis[i % 2]!;
        const user = await signUpAt(api, `node-${i}-${Date.now()}@example.com`);
        const card = await graphqlAt(
          api,
          'mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }',
          { u: user.userId },
          user.token,
        );
        expect(card.errors).toBeUndefined();
        return user;
      }),
    );
    const database = new pg.Client({ connectionString: postgres.url });
    await database.connect();
    try {
      await eventually(
        async () =>
          (await database.query(`select count(*)::int as n from "CardDetails" where status = 'ACTIVE'`)).rows[0].n,
        (active) => active === USERS,
        { timeoutMs: 30_000, what: 'every card saved' },
      );

      // Purchases spread over both APIs, a few in flight at a time; one API and one worker die a third of the way in.
      const answered: string[] = [];
      let sent = 0;
      const kills: Promise<void>[] = [];
      const buyer = async () => {
        while (sent < PURCHASES) {
          const n = sent++;
          const user = users[n % USERS]!;
          if (kills.length === 0 && answered.length >= PURCHASES / 3) kills.push(apiA.kill(), workerA.kill());
          const api = kills.length > 0 ? apiB.url! : apis[n % 2]!;
          const answer = await graphqlAt(
            api,
            'mutation($u: ID!) { createPurchase(amount: 1500, description: "several nodes", userId: $u) { id } }',
            { u: user.userId },
            user.token,
          ).catch(() => null); // the API died with the request: it may or may not have committed
          const id = answer?.data?.createPurchase?.id as string | undefined;
          if (id) answered.push(id);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, buyer));
      await Promise.all(kills);
      expect(kills).toHaveLength(2);
      expect(answered.length).toBeGreaterThanOrEqual(PURCHASES - IN_FLIGHT);

      // Quiescence: no purchase, answered or not, still waits for its charge.
      const settled = await eventually(
        async () => (await database.query<{ id: string; status: string }>('select id, status from "Purchase"')).rows,
        (rows) => rows.every((row) => row.status !== 'PENDING' && row.status !== 'PROCESSING'),
        { timeoutMs: 45_000, intervalMs: 100, what: 'every purchase charged' },
      );
      const status = new Map(settled.map((row) => [row.id, row.status]));
      for (const id of answered) expect(status.get(id), id).toBe('PAID');

      const stripe = createStripe(TEST_STRIPE_KEY, stripeServer.url);
      const succeeded = new Map<string, number>();
      for await (const intent of stripe.paymentIntents.list({ limit: 100 }))
        if (intent.status === 'succeeded')
          succeeded.set(intent.metadata.purchaseId!, (succeeded.get(intent.metadata.purchaseId!) ?? 0) + 1);
      for (const [id, row] of status) {
        // Paid once; and a purchase charged at Stripe is one the API shows paid.
        expect(succeeded.get(id) ?? 0, id).toBe(row === 'PAID' ? 1 : 0);
      }
      expect([...succeeded.keys()].every((id) => status.has(id))).toBe(true);
    } finally {
      await database.end();
    }
  }, 120_000);
});
