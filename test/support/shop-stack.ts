import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { localStripeKeyFile } from '../../dev/local-stack/stripe-key.js';
import { eventually } from '../../packages/testing/eventually.js';
import { createStripe, type Stripe } from '../../services/lib/stripe-client.js';
import { rootDir } from '../../src/config.js';
import { createTestDatabase } from './database.js';
import { localStackEnv } from './local-stack.js';
import { startSwitch } from './payment-stack.js';

/**
 * `npm start` as a newcomer runs it (dev/start.ts: the API, the services, the local Stripe and its
 * Stripe.js), with the shop reached through a pass-through that keeps every byte the browser sends
 * the API: what "on the wire" means for a card number that must never reach it.
 */
export async function startShopStack(prefix: string) {
  const database = await createTestDatabase();
  const { env, apiUrl, dataDir } = await localStackEnv(database.url, prefix);
  // The worker in the API's own process, as npm start runs it on 2 cores.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(rootDir, 'dev/start.ts')], {
    cwd: rootDir,
    env: { ...env, WORKER_PROCESS: 'false' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let banner = '';
  child.stdout!.on('data', (chunk: Buffer) => (banner += chunk.toString()));
  await eventually(
    async () => banner,
    (text) => text.includes('Paygraph is ready'),
    90_000,
  );
  const emulatorUrl = /LOCAL Stripe emulator .* at (http:\/\/[\d.]+:\d+)/.exec(banner)![1]!;
  const sent: Buffer[] = [];
  const wire = await startSwitch(apiUrl, (chunk) => sent.push(chunk));
  const stripe: Stripe = createStripe(readFileSync(localStripeKeyFile(dataDir), 'utf8').trim(), emulatorUrl);
  return {
    banner,
    apiUrl,
    emulatorUrl,
    /** The shop as the browser opens it: the API's /shop, through the recording pass-through. */
    shopUrl: `${wire.url}/shop`,
    /** The npm start account at the local Stripe, as its dashboard would show it. */
    stripe,
    /** Everything the browser has sent the API so far, as text. */
    sentToApi: () => Buffer.concat(sent).toString('latin1'),
    async stop() {
      await wire.close();
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type ShopStack = Awaited<ReturnType<typeof startShopStack>>;
