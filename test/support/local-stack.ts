import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../packages/base/free-port.js';
import { TEST_SIGNING_SECRET } from '../../packages/testing/signing-secret.js';

/**
 * The environment `npm start` gets in tests: its own database, data directory and free ports, and no
 * Stripe key from the caller's shell, so the local Stripe is the one it starts.
 */
export async function localStackEnv(
  databaseUrl: string,
  dataDirPrefix: string,
): Promise<{ env: NodeJS.ProcessEnv; apiUrl: string; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), dataDirPrefix));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    CREATE_CUSTOMER_PORT: String(await freePort()),
    CHARGE_CUSTOMER_PORT: String(await freePort()),
    CALLBACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    LOG_LEVEL: 'warn',
  };
  delete env.STRIPE_SECRET_KEY;
  delete env.STRIPE_WEBHOOK_SECRET;
  return { env, apiUrl: `http://127.0.0.1:${port}`, dataDir };
}
