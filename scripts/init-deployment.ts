import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { SERVICES, type ServiceName } from '../services/lib/service-env.js';
import { createAccessToken, isActiveAccessToken, revokeAccessToken } from '../src/auth/access-tokens.js';
import { writeNewSigningSecret } from '../src/callbacks/signing-secret.js';
import { loadConfig } from '../src/config.js';
import { createPrismaClient } from '../src/db/client.js';
import { openDatabase } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { prepareJobQueue } from '../src/worker.js';

/**
 * `npm run deploy:init` (compose's `init` service): everything a deployment needs before its processes
 * start, safe to run on every start. Applies the migrations, and writes what is missing or no longer
 * valid: the callback signing secret (CALLBACK_SIGNING_SECRET_FILE) and each service's access token
 * (CREATE_CUSTOMER_TOKEN_FILE, CHARGE_CUSTOMER_TOKEN_FILE). A valid file is kept, so services already
 * running with it keep working.
 */
const logger = createLogger();
const env = process.env;

const secretFile = env.CALLBACK_SIGNING_SECRET_FILE;
if (!env.CALLBACK_SIGNING_SECRET && secretFile && !existsSync(secretFile)) {
  writeNewSigningSecret(secretFile);
  logger.info({ file: secretFile }, 'generated the callback signing secret');
}

const config = loadConfig(env);
const database = await openDatabase(config, logger);
const pool = new pg.Pool({ connectionString: database.url, max: 1 });
pool.on('error', (err) => logger.warn({ err }, 'database connection lost'));
const db = createPrismaClient(database.url, 1);
try {
  await prepareJobQueue(pool, logger);
  for (const [service, { tokenVariable, scopes }] of Object.entries(SERVICES) as [ServiceName, (typeof SERVICES)[ServiceName]][]) {
    const file = env[`${tokenVariable}_FILE`];
    if (env[tokenVariable] || !file) continue;
    const current = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    if (current && (await isActiveAccessToken(db, current, scopes))) continue;
    // One token per service under this name: the one in the file; any earlier one is lost with its file.
    const name = `${service} (deployment)`;
    await revokeAccessToken(db, name);
    const { token } = await createAccessToken(db, name, [...scopes]);
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    logger.info({ service, file }, 'minted the service access token');
  }
  logger.info('deployment is initialised: migrations applied, secrets in place');
} finally {
  await db.$disconnect();
  await pool.end();
  await database.stop();
}
// The wasm schema engine leaves its 10 s lock-timeout timer running (its glue never clears timers);
// compose starts the other services only when this step exits.
process.exit(0);
