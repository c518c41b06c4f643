import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';
import { createTestDatabase } from './support/database.js';
import { localStackEnv } from './support/local-stack.js';
import { alive } from './support/processes.js';
import { eventually } from '../packages/testing/eventually.js';

// `npm start` as a user runs it: the API, the worker and both services, owned by one process.
describe('npm start owns its services', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let apiUrl: string;
  const started: ChildProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    ({ env, apiUrl, dataDir } = await localStackEnv(database.url, 'paygraph-stack-'));
  });
  afterAll(async () => {
    for (const child of started) child.kill('SIGKILL');
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let output = '';
  const start = () => {
    // The worker in a process of its own, as npm start runs it on more than 2 cores (local-stack.stripe-events runs it in the API's).
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(rootDir, 'dev/start.ts')], {
      cwd: rootDir,
      env: { ...env, WORKER_PROCESS: 'true' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.push(child);
    return child;
  };
  const readiness = () =>
    fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(2_000) })
      .then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { checks: Record<string, string> },
      }))
      .catch(() => null);
  const servicePids = () =>
    (JSON.parse(readFileSync(path.join(dataDir, 'local-stack.pids.json'), 'utf8')) as { pids: number[] }).pids;

  it('restarts a service that dies, reports it meanwhile, and takes its services down when killed with SIGKILL', async () => {
    const first = start();
    const ready = await eventually(readiness, (answer) => answer?.status === 200, 60_000);
    expect(Object.keys(ready!.body.checks)).toContain('worker');
    const [createCustomerPid] = servicePids();
    process.kill(createCustomerPid!, 'SIGKILL');
    const restarted = await eventually(
      async () => servicePids(),
      (pids) => !pids.includes(createCustomerPid!),
      20_000,
    );
    await eventually(readiness, (ready) => ready?.status === 200, 30_000);

    first.kill('SIGKILL');
    await eventually(
      async () => restarted.filter(alive),
      (left) => left.length === 0,
      20_000,
    );

    // The next start finds the ports free and runs again.
    output = '';
    start();
    await eventually(readiness, (ready) => ready?.status === 200, 60_000);

    // Its banner links to the console with an operator token that holds callbacks:admin.
    const link = await eventually(
      async () => /(http\S+\/console#token=(pgt_\S+))/.exec(output),
      (match) => match !== null,
      20_000,
    );
    expect((await fetch(link![1]!.split('#')[0]!)).status).toBe(200);
    const callbacks = await fetch(`${apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${link![2]}` },
      body: JSON.stringify({ query: '{ callbacks { name } }' }),
    }).then((response) => response.json() as Promise<{ data: { callbacks: { name: string }[] } }>);
    expect(callbacks.data.callbacks.map((callback) => callback.name)).toContain('chargePurchase');
  }, 180_000);

  it('a mistake in callbacks.yml stops the start before anything runs: no database, no services', async () => {
    const emptyDataDir = mkdtempSync(path.join(tmpdir(), 'paygraph-stack-bad-'));
    const badFile = path.join(emptyDataDir, 'callbacks.yml');
    writeFileSync(badFile, 'callbacks:\n  broken:\n    trigger: Nothing.created\n');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(rootDir, 'dev/start.ts')], {
      cwd: rootDir,
      env: { ...env, DATA_DIR: path.join(emptyDataDir, 'data'), CALLBACKS_FILE: badFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/broken/);
    // Nothing was started: the data folder (embedded PostgreSQL, the services' pid file) was never made.
    expect(existsSync(path.join(emptyDataDir, 'data'))).toBe(false);
    rmSync(emptyDataDir, { recursive: true, force: true });
  });
});
