import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startPaygraph } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { freePort } from '../src/free-port.js';
import { startLocalStack } from '../src/local-stack/index.js';
import { createLogger } from '../src/logger.js';
import { percentile, round, SIGNING_SECRET } from './harness.js';

/**
 * npm run bench:e2e: the `npm start` stack (API + worker, both services as their own processes, the
 * local Stripe server) on a fresh embedded PostgreSQL. Measures createPurchase-returned to paid.
 */
const SEQUENTIAL = Number(process.env.BENCH_E2E_PURCHASES ?? 200);
const USERS = Number(process.env.BENCH_E2E_USERS ?? 50);
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 10);

const dataDir = mkdtempSync(path.join(tmpdir(), 'paygraph-bench-e2e-'));
chmodSync(dataDir, 0o755); // initdb runs as the postgres user and must reach the data folder inside
Object.assign(process.env, {
  DATA_DIR: dataDir,
  PORT: String(await freePort()),
  CREATE_CUSTOMER_PORT: String(await freePort()),
  CHARGE_CUSTOMER_PORT: String(await freePort()),
  LOG_LEVEL: 'warn',
});
delete process.env.STRIPE_SECRET_KEY;
const config = loadConfig();
const logger = createLogger('warn');
const database = await openDatabase(config, logger);
const stack = await startLocalStack(config, database.url, SIGNING_SECRET, logger);
const app = await startPaygraph({ config: { ...config, STRIPE_WEBHOOK_SECRET: stack.webhookSecret }, databaseUrl: database.url, signingSecret: SIGNING_SECRET, logger, roles: { api: true, worker: true }, env: { ...process.env, ...stack.env } });
const reader = new pg.Pool({ connectionString: database.url, max: 4 });

const graphql = async (query: string, variables: Record<string, unknown>, token?: string) => {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
};

/** A signed-up user with an ACTIVE card and a Stripe customer. */
async function customer(index: number) {
  const email = `bench${index}-${Date.now()}@example.com`;
  const { createUser } = await graphql('mutation($e: String!) { createUser(name: "Bench", authProvider: { email: { email: $e, password: "benchmark" } }) { id } }', { e: email });
  const { signinUser } = await graphql('mutation($e: String!) { signinUser(email: { email: $e, password: "benchmark" }) { token } }', { e: email });
  await graphql('mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }', { u: createUser.id }, signinUser.token);
  await waitFor(async () => (await reader.query('select 1 from "User" where id = $1 and "stripeId" is not null', [createUser.id])).rowCount === 1);
  return { id: createUser.id as string, token: signinUser.token as string };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** One query every 2 ms for every purchase still waiting, however many users wait at once. */
const waiting = new Map<string, () => void>();
let watching = false;
async function watchPaid() {
  if (watching) return;
  watching = true;
  while (waiting.size > 0) {
    const { rows } = await reader.query<{ id: string }>('select id from "Purchase" where id = any($1) and "isPaid"', [[...waiting.keys()]]);
    for (const { id } of rows) {
      waiting.get(id)?.();
      waiting.delete(id);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  watching = false;
}
const paid = (id: string) =>
  new Promise<void>((resolve) => {
    waiting.set(id, resolve);
    void watchPaid();
  });

/** The tutorial's sequence: a new user adds a card and buys at once, before the card is saved. */
async function cardThenPurchase(index: number): Promise<number> {
  const email = `bench-tutorial${index}-${Date.now()}@example.com`;
  const { createUser } = await graphql('mutation($e: String!) { createUser(name: "Bench", authProvider: { email: { email: $e, password: "benchmark" } }) { id } }', { e: email });
  const { signinUser } = await graphql('mutation($e: String!) { signinUser(email: { email: $e, password: "benchmark" }) { token } }', { e: email });
  await graphql('mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }', { u: createUser.id }, signinUser.token);
  return purchaseToPaid({ id: createUser.id, token: signinUser.token });
}

/** createPurchase, then the time until the row says paid. */
async function purchaseToPaid(user: { id: string; token: string }): Promise<number> {
  const { createPurchase } = await graphql(
    'mutation($u: ID!) { createPurchase(amount: 50000, description: "A new laptop", isPaid: false, userId: $u) { id } }',
    { u: user.id },
    user.token,
  );
  const returnedAt = performance.now();
  await paid(createPurchase.id);
  return performance.now() - returnedAt;
}

try {
  const first = await customer(0);
  for (let i = 0; i < 10; i++) await purchaseToPaid(first);
  const latencies: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) latencies.push(await purchaseToPaid(first));

  const tutorial: number[] = [];
  for (let i = 0; i < 50; i++) tutorial.push(await cardThenPurchase(i));
  console.log(`card, then purchase at once (a new user each, 50 times): createPurchase returned -> paid
  p50 ${round(percentile(tutorial, 50))} ms   p99 ${round(percentile(tutorial, 99))} ms   (target p50 < 150)`);

  const users = await Promise.all(Array.from({ length: USERS }, (_, i) => customer(i + 1)));
  let paidCount = 0;
  const loaded: number[] = [];
  const startedAt = performance.now();
  const deadline = startedAt + SECONDS * 1000;
  await Promise.all(
    users.map(async (user) => {
      while (performance.now() < deadline) {
        loaded.push(await purchaseToPaid(user));
        paidCount++;
      }
    }),
  );
  const throughput = paidCount / ((performance.now() - startedAt) / 1000);
  console.log(`
createPurchase returned -> paid, one at a time (${SEQUENTIAL} purchases)
  p50 ${round(percentile(latencies, 50))} ms   p99 ${round(percentile(latencies, 99))} ms   (target p50 < 100, p99 < 300)
with ${USERS} concurrent users for ${SECONDS} s
  ${round(throughput)} purchases paid/s   latency p50 ${round(percentile(loaded, 50))} ms   p99 ${round(percentile(loaded, 99))} ms`);
} finally {
  await reader.end();
  await app.stop();
  await stack.stop();
  await database.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
