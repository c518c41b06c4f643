import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../packages/base/services.js';
import { isActiveAccessToken, revokeAccessToken } from '../src/auth/access-tokens.js';
import { rootDir } from '../src/config.js';
import { createPrismaClient, type Db } from '../src/db/client.js';
import { initDeployment } from '../src/init-deployment.js';
import { createLogger } from '../packages/base/logger.js';
import { createTestDatabase } from './support/database.js';

/** The init step as compose runs it (production, secrets in files), on this file's own database. */
function runInitStep(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(rootDir, 'scripts/init-deployment.ts')], {
    cwd: rootDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('the init step writes what a deployment needs, once', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  const logger = createLogger('silent');
  const folders: string[] = [];

  /** The environment compose gives the init step, with a secrets folder of its own. */
  function deploymentEnv(): NodeJS.ProcessEnv {
    const folder = mkdtempSync(path.join(tmpdir(), 'paygraph-init-'));
    folders.push(folder);
    const secrets = path.join(folder, 'secrets');
    const {
      CALLBACK_SIGNING_SECRET: _secret,
      STRIPE_WEBHOOK_SECRET: _webhook,
      STRIPE_SECRET_KEY: _key,
      CREATE_CUSTOMER_TOKEN: _create,
      CHARGE_CUSTOMER_TOKEN: _charge,
      ...inherited
    } = process.env;
    return {
      ...inherited,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url,
      CALLBACK_SIGNING_SECRET_FILE: path.join(secrets, 'callback-signing-secret'),
      STRIPE_WEBHOOK_SECRET_FILE: path.join(secrets, 'stripe-webhook-secret'),
      STRIPE_SECRET_KEY_FILE: path.join(secrets, 'stripe-local-secret-key'),
      CREATE_CUSTOMER_TOKEN_FILE: path.join(secrets, 'create-customer-token'),
      CHARGE_CUSTOMER_TOKEN_FILE: path.join(secrets, 'charge-customer-token'),
    };
  }
  const files = (env: NodeJS.ProcessEnv) => ({
    secret: env.CALLBACK_SIGNING_SECRET_FILE!,
    webhook: env.STRIPE_WEBHOOK_SECRET_FILE!,
    stripeKey: env.STRIPE_SECRET_KEY_FILE!,
    'create-customer': env.CREATE_CUSTOMER_TOKEN_FILE!,
    'charge-customer': env.CHARGE_CUSTOMER_TOKEN_FILE!,
  });
  const contents = (env: NodeJS.ProcessEnv) =>
    Object.fromEntries(Object.entries(files(env)).map(([name, file]) => [name, readFileSync(file, 'utf8').trim()]));

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createPrismaClient(database.url, 1);
  });

  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it("npm run deploy:init generates the signing secret, the local Stripe's account key and mints each service a token with its scopes, owner-readable only", async () => {
    const env = deploymentEnv();
    const run = await runInitStep(env);
    expect(run.code, run.output).toBe(0);
    const written = contents(env);
    expect(written.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(written.webhook).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(written.webhook).not.toBe(written.secret);
    expect(written.stripeKey).toMatch(/^sk_test_[0-9a-f]{64}$/);
    for (const [service, { scopes }] of Object.entries(SERVICES)) {
      expect(await isActiveAccessToken(db, written[service]!, scopes), service).toBe(true);
    }
    for (const file of Object.values(files(env))) expect(statSync(file).mode & 0o777, file).toBe(0o600);
  });

  it('keeps what is still valid and replaces only a revoked token', async () => {
    const env = deploymentEnv();
    await initDeployment(env, logger);
    const before = contents(env);
    await initDeployment(env, logger);
    expect(contents(env)).toEqual(before);

    await revokeAccessToken(db, 'charge-customer (deployment)');
    // The file a revoked token leaves may have been widened since: its new token is still owner-only.
    chmodSync(files(env)['charge-customer'], 0o644);
    await initDeployment(env, logger);
    expect(statSync(files(env)['charge-customer']).mode & 0o777).toBe(0o600);
    const after = contents(env);
    expect(after.secret).toBe(before.secret);
    expect(after.webhook).toBe(before.webhook);
    expect(after.stripeKey).toBe(before.stripeKey);
    expect(after['create-customer']).toBe(before['create-customer']);
    expect(after['charge-customer']).not.toBe(before['charge-customer']);
    expect(await isActiveAccessToken(db, after['charge-customer']!, SERVICES['charge-customer'].scopes)).toBe(true);
  });

  it('refuses to run in production without DATABASE_URL rather than start an embedded server', async () => {
    const { DATABASE_URL: _url, ...withoutDatabase } = deploymentEnv();
    await expect(initDeployment(withoutDatabase, logger)).rejects.toThrow('DATABASE_URL is required in production');
  });
});
