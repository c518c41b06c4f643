import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { SERVICES, type ServiceName } from '../packages/base/services.js';
import { createAccessToken, isActiveAccessToken, revokeAccessToken } from './auth/access-tokens.js';
import { newSigningSecret } from './callbacks/signing-secret.js';
import { loadConfig } from './config.js';
import { newLocalStripeKey } from '../packages/base/secret-files.js';
import { createPrismaClient } from './db/client.js';
import { onConnectionErrors } from './db/connection-errors.js';
import { openDatabase } from './db/database.js';
import type { Logger } from '../packages/base/logger.js';
import { writeSecretFile } from '../packages/base/secret-files.js';
import { prepareJobQueue } from './worker.js';

/**
 * Everything a deployment needs before its processes start, safe to run on every start: the migrations,
 * and whatever is missing or no longer valid of the callback signing secret (CALLBACK_SIGNING_SECRET_FILE),
 * the Stripe webhook secret (STRIPE_WEBHOOK_SECRET_FILE), the local Stripe's account key (STRIPE_SECRET_KEY_FILE) and each service's access token (CREATE_CUSTOMER_TOKEN_FILE, CHARGE_CUSTOMER_TOKEN_FILE). A valid
 * file is kept, so services already running with it keep working.
 */
export async function initDeployment(env: NodeJS.ProcessEnv, logger: Logger): Promise<void> {
  // The Stripe webhook secret too: the API and the local Stripe share it, and no published default can sign
  // events. And the key the services pay with at the local Stripe, whose endpoint to the API is that account's alone.
  const generated = {
    CALLBACK_SIGNING_SECRET: newSigningSecret,
    STRIPE_WEBHOOK_SECRET: newSigningSecret,
    STRIPE_SECRET_KEY: newLocalStripeKey,
  };
  for (const [name, generate] of Object.entries(generated)) {
    const secretFile = env[`${name}_FILE`];
    if (env[name] || !secretFile || existsSync(secretFile)) continue;
    mkdirSync(path.dirname(secretFile), { recursive: true });
    writeSecretFile(secretFile, generate());
    logger.info({ file: secretFile }, `generated ${name}`);
  }

  const database = await openDatabase(loadConfig(env), logger);
  // graphile-worker's migrations take a session lock: PostgreSQL itself, not a pooler.
  const pool = new pg.Pool({ connectionString: database.directUrl, max: 1 });
  onConnectionErrors(pool, (err) => logger.warn({ err }, 'database connection lost'));
  const db = createPrismaClient(database.url, 1);
  try {
    await prepareJobQueue(pool, logger);
    for (const [service, { tokenVariable, scopes }] of Object.entries(SERVICES) as [
      ServiceName,
      (typeof SERVICES)[ServiceName],
    ][]) {
      const file = env[`${tokenVariable}_FILE`];
      if (env[tokenVariable] || !file) continue;
      const current = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
      if (current && (await isActiveAccessToken(db, current, scopes))) continue;
      // One token per service under this name, the one in the file: an earlier one went with its file.
      const name = `${service} (deployment)`;
      await revokeAccessToken(db, name);
      const { token } = await createAccessToken(db, name, [...scopes]);
      writeSecretFile(file, token);
      logger.info({ service, file }, 'minted the service access token');
    }
    logger.info('deployment is initialised: migrations applied, secrets in place');
  } finally {
    await db.$disconnect();
    await pool.end();
    await database.stop();
  }
}
