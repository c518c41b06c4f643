import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launcherArgs } from '../packages/base/launcher.js';
import { loadServiceEnv } from '../services/lib/service-env.js';
import { loadConfig, rootDir } from '../src/config.js';
import { freePort } from '../packages/base/free-port.js';
import { connectHost } from '../packages/base/listen-host.js';
import { createTestDatabase } from './support/database.js';
import { localStackEnv } from './support/local-stack.js';
import { TEST_SIGNING_SECRET } from '../packages/testing/signing-secret.js';
import { listeningAddresses, processTree } from './support/processes.js';
import { eventually } from '../packages/testing/eventually.js';

const stopped = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
};

// `npm start` with no HOST in its environment, as a developer runs it.
describe('npm start listens on loopback only, as its banner says', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let child: ChildProcess;
  let output = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    const stack = await localStackEnv(database.url, 'paygraph-loopback-');
    dataDir = stack.dataDir;
    const env: NodeJS.ProcessEnv = { ...stack.env, WORKER_PROCESS: 'true' };
    delete env.HOST;
    child = spawn(process.execPath, ['--import', 'tsx', path.join(rootDir, 'dev/start.ts')], {
      cwd: rootDir,
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  });
  afterAll(async () => {
    if (child) await stopped(child);
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the API, both services, the worker and the local Stripe listen on 127.0.0.1, and the banner names those addresses', async () => {
    await eventually(
      async () => output,
      (text) => text.includes('Ctrl-C stops everything'),
      90_000,
    );
    const banner = output.slice(output.indexOf('Paygraph is ready'));
    const listening = listeningAddresses(processTree(child.pid!));
    // The API, create-customer, charge-customer, the worker's METRICS_PORT and the local Stripe.
    expect(new Set(listening.map((socket) => socket.pid)).size).toBe(5);
    expect(listening.filter((socket) => socket.address !== '127.0.0.1')).toEqual([]);

    const advertised = [...new Set(banner.match(/https?:\/\/[^/\s:]+:\d+/g))].map((url) => new URL(url));
    // GraphQL, the two services and the local Stripe, each where something listens.
    expect(advertised).toHaveLength(4);
    for (const url of advertised) {
      expect(url.hostname).toBe('127.0.0.1');
      expect(listening.map((socket) => socket.port)).toContain(Number(url.port));
    }
    expect(banner).toMatch(/listening on\s+127\.0\.0\.1 only/);
  }, 120_000);
});

describe('HOST opens a server on purpose; loopback otherwise, in production too', () => {
  const SERVICE_ENV = {
    CALLBACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    CREATE_CUSTOMER_TOKEN: 'pgt_loopback_test',
    STRIPE_API_URL: 'http://127.0.0.1:9',
  };

  it('defaults the API and the services to 127.0.0.1, whatever NODE_ENV says', () => {
    for (const NODE_ENV of ['development', 'production']) {
      expect(loadConfig({ NODE_ENV, DATABASE_URL: 'postgresql://localhost/x' }).HOST, NODE_ENV).toBe('127.0.0.1');
      const env = { ...SERVICE_ENV, NODE_ENV, STRIPE_SECRET_KEY: 'sk_test_x' };
      expect(loadServiceEnv('create-customer', env).host, NODE_ENV).toBe('127.0.0.1');
    }
    expect(loadServiceEnv('create-customer', { ...SERVICE_ENV, HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('reaches a server listening on every interface through loopback, and an IPv6 one in brackets', () => {
    expect(['0.0.0.0', '::', '127.0.0.1', '10.1.2.3', '::1'].map(connectHost)).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
      '10.1.2.3',
      '[::1]',
    ]);
  });

  it('a service started alone listens where HOST says, and on loopback without it', async () => {
    for (const [HOST, expected] of [
      [undefined, '127.0.0.1'],
      ['0.0.0.0', '0.0.0.0'],
    ] as const) {
      const port = await freePort();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...SERVICE_ENV,
        NODE_ENV: 'development',
        PORT: String(port),
        LOG_LEVEL: 'silent',
        HOST,
      };
      if (HOST === undefined) delete env.HOST;
      const service = spawn(
        process.execPath,
        [...launcherArgs('../services/run', import.meta.url), 'create-customer'],
        { cwd: rootDir, env, stdio: 'ignore' },
      );
      try {
        const sockets = await eventually(
          async () => listeningAddresses([service.pid!]),
          (found) => found.length > 0,
          20_000,
        );
        expect(sockets.map(({ address, port }) => ({ address, port }))).toEqual([{ address: expected, port }]);
      } finally {
        await stopped(service);
      }
    }
  }, 60_000);
});
