import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startLocalStripe } from '../services/lib/local-stripe.js';
import { rootDir } from '../src/config.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { freePort } from '../packages/base/free-port.js';
import { eventually } from '../packages/testing/eventually.js';

/**
 * `npm run smoke:compiled` (CI runs it after `npm run build`): docker-compose.yml's deployment without
 * Docker. It lays out what the image's final stage holds (IMAGE_FILES and production dependencies only,
 * installed as the Dockerfile installs them), then, on an embedded PostgreSQL and with NODE_ENV=production
 * and every secret in a file, runs the init step twice, the API, a worker with its METRICS_PORT and both
 * services, all compiled, buys one thing, and stops them with SIGTERM.
 */
const IMAGE_FILES = ['package.json', 'package-lock.json', 'callbacks.yml', 'prisma', 'dist'];
const PRODUCTION_INSTALL = [
  'ci',
  '--omit=dev',
  '--omit=optional',
  '--ignore-scripts',
  '--no-audit',
  '--no-fund',
  '--prefer-offline',
  '--loglevel=error',
];

if (!existsSync(path.join(rootDir, 'dist/src/main.js'))) {
  console.error('No dist/src/main.js: run `npm run build` first.');
  process.exit(2);
}

const scratch = mkdtempSync(path.join(tmpdir(), 'paygraph-smoke-'));
const imageDir = path.join(scratch, 'app');
const secretsDir = path.join(scratch, 'secrets');
const moduleLog = path.join(scratch, 'api-modules.log');
const children: ChildProcess[] = [];
// Whatever happens to this script, what it started does not outlive it.
process.once('exit', () => children.forEach((child) => child.kill('SIGKILL')));
const cleanups: (() => Promise<void>)[] = [async () => rmSync(scratch, { recursive: true, force: true })];
const startedAt = Date.now();
const step = (message: string) => console.log(`smoke: ${((Date.now() - startedAt) / 1000).toFixed(1)} s ${message}`);

try {
  step(`laying out the image in ${imageDir}`);
  for (const file of IMAGE_FILES) cpSync(path.join(rootDir, file), path.join(imageDir, file), { recursive: true });
  const install = spawnSync('npm', PRODUCTION_INSTALL, { cwd: imageDir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (install.status !== 0) throw new Error(`npm ${PRODUCTION_INSTALL.join(' ')} failed`);
  for (const devOnly of ['embedded-postgres', 'tsx', 'prisma', 'typescript', 'vitest']) {
    if (existsSync(path.join(imageDir, 'node_modules', devOnly)))
      throw new Error(`the production install holds ${devOnly}`);
  }

  // Its own folder: embedded-postgres makes it the server's, which a folder inside `scratch` (0700) cannot be.
  const postgresDir = mkdtempSync(path.join(tmpdir(), 'paygraph-smoke-pg-'));
  cleanups.push(async () => rmSync(postgresDir, { recursive: true, force: true }));
  const postgres = await startEmbeddedPostgres({ dataDir: postgresDir });
  cleanups.unshift(postgres.stop);
  const stripe = await startLocalStripe();
  cleanups.unshift(stripe.stop);
  const ports = {
    api: await freePort(),
    metrics: await freePort(),
    createCustomer: await freePort(),
    chargeCustomer: await freePort(),
  };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.SMOKE_LOG_LEVEL ?? 'warn',
    HOST: '127.0.0.1',
    DATABASE_URL: postgres.url,
    CALLBACK_SIGNING_SECRET_FILE: path.join(secretsDir, 'callback-signing-secret'),
    CREATE_CUSTOMER_TOKEN_FILE: path.join(secretsDir, 'create-customer-token'),
    CHARGE_CUSTOMER_TOKEN_FILE: path.join(secretsDir, 'charge-customer-token'),
    STRIPE_SECRET_KEY: 'sk_test_paygraph_smoke',
    STRIPE_API_URL: stripe.url,
    PAYGRAPH_API_URL: `http://127.0.0.1:${ports.api}/graphql`,
    CREATE_CUSTOMER_URL: `http://127.0.0.1:${ports.createCustomer}/`,
    CHARGE_CUSTOMER_URL: `http://127.0.0.1:${ports.chargeCustomer}/`,
  };
  const secretFiles = [
    env.CALLBACK_SIGNING_SECRET_FILE!,
    env.CREATE_CUSTOMER_TOKEN_FILE!,
    env.CHARGE_CUSTOMER_TOKEN_FILE!,
  ];

  step('init step, twice: the second run keeps the secrets the first wrote');
  const init = () => {
    const result = spawnSync(process.execPath, ['dist/scripts/init-deployment.js'], {
      cwd: imageDir,
      env,
      stdio: 'inherit',
    });
    if (result.status !== 0) throw new Error(`the init step exited ${result.status}`);
    return secretFiles.map((file) => readFileSync(file, 'utf8'));
  };
  const first = init();
  step('init step: first run done');
  if (init().join() !== first.join()) throw new Error('the second init step replaced secrets that were still valid');

  const start = (name: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const child = spawn(process.execPath, args, {
      cwd: imageDir,
      env: { ...env, ...extra },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    return { name, child };
  };
  const processes = [
    start('api', ['--import', './dist/scripts/record-modules.js', 'dist/src/main.js', 'api'], {
      PORT: String(ports.api),
      PAYGRAPH_MODULE_LOG: moduleLog,
    }),
    start('worker', ['dist/src/main.js', 'worker'], { METRICS_PORT: String(ports.metrics) }),
    start('create-customer', ['dist/services/run.js', 'create-customer'], { PORT: String(ports.createCustomer) }),
    start('charge-customer', ['dist/services/run.js', 'charge-customer'], { PORT: String(ports.chargeCustomer) }),
  ];
  await waitFor('the API /readyz', () => answers(`http://127.0.0.1:${ports.api}/readyz`, 200));
  step('the API is ready');
  await waitFor('the worker /healthz', () => answers(`http://127.0.0.1:${ports.metrics}/healthz`, 200));
  await waitFor('create-customer', () => answers(`http://127.0.0.1:${ports.createCustomer}/`));
  await waitFor('charge-customer', () => answers(`http://127.0.0.1:${ports.chargeCustomer}/`));
  step('the API is ready, the worker healthy, both services listening');
  // The compiled API loads neither npm start's local stack, nor the services, nor the Stripe SDK.
  const loaded = readFileSync(moduleLog, 'utf8').split('\n');
  const strays = loaded.filter((url) =>
    /\/dist\/(dev|services|test)\/|\/node_modules\/(stripe|standardwebhooks)\//.test(url),
  );
  if (loaded.length < 50 || strays.length > 0)
    throw new Error(`the compiled API loaded ${strays.join(', ') || 'too little'}`);
  step(`the compiled API loaded ${loaded.length} modules, none of dev/, services/ or the Stripe SDK`);

  const paid = await buyOneThing(`http://127.0.0.1:${ports.api}/graphql`);
  step(`a purchase went from createPurchase to PAID (${paid})`);

  for (const { name, child } of processes) {
    child.kill('SIGTERM');
    const code = await Promise.race([
      new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode))),
      delay(10_000).then(() => 'timeout' as const),
    ]);
    if (code !== 0) throw new Error(`${name} did not exit 0 on SIGTERM (${code})`);
  }
  step('every process exited 0 on SIGTERM');
} catch (error) {
  console.error(`smoke: FAILED: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
}

/** Waits for `check`, and stops waiting as soon as any process it started has exited. */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const checkWhileAlive = async () => {
    if (await check()) return true;
    const died = children.find((child) => child.exitCode !== null);
    if (died) throw new Error(`a process exited (${died.spawnargs.slice(1).join(' ')}: ${died.exitCode})`);
    return false;
  };
  await eventually(checkWhileAlive, Boolean, { timeoutMs, intervalMs: 100, what: `${what} to answer` });
}

async function answers(url: string, status?: number): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return status === undefined || response.status === status;
  } catch {
    return false;
  }
}

async function buyOneThing(graphqlUrl: string): Promise<string> {
  const gql = async <T>(query: string, token?: string): Promise<T> => {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    if (body.errors || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
  const email = `smoke-${Date.now()}@example.com`;
  await gql(
    `mutation { createUser(name: "Smoke", authProvider: { email: { email: "${email}", password: "password" } }) { id } }`,
  );
  const { signinUser } = await gql<{ signinUser: { token: string; user: { id: string } } }>(
    `mutation { signinUser(email: { email: "${email}", password: "password" }) { token user { id } } }`,
  );
  const token = signinUser.token;
  await gql(`mutation { createCardDetails(cardToken: "tok_visa", userId: "${signinUser.user.id}") { id } }`, token);
  // A purchase before the customer exists is answered 409 and retried a second later; waiting keeps this fast.
  await waitFor(
    'the card to be active',
    async () => (await gql<{ me: { stripeId: string | null } }>('{ me { stripeId } }', token)).me.stripeId !== null,
  );
  await gql(
    `mutation { createPurchase(amount: 1234, description: "smoke", isPaid: false, userId: "${signinUser.user.id}") { id } }`,
    token,
  );
  let charge = '';
  await waitFor('the purchase to be paid', async () => {
    const { me } = await gql<{ me: { purchases: { status: string; stripeChargeId: string }[] } }>(
      '{ me { purchases { status stripeChargeId } } }',
      token,
    );
    charge = me.purchases[0]?.status === 'PAID' ? me.purchases[0].stripeChargeId : '';
    return charge !== '';
  });
  return charge;
}
