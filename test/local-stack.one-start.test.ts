import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';
import { eventually } from '../packages/testing/eventually.js';
import { createTestDatabase } from './support/database.js';
import { localStackEnv } from './support/local-stack.js';
import { alive } from './support/processes.js';

const START = path.join(rootDir, 'dev/start.ts');
const started: ChildProcess[] = [];
const dataDirs: string[] = [];

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(command: string[], env: NodeJS.ProcessEnv, options: { detached?: boolean } = {}): Run {
  const child = spawn(process.execPath, command, { cwd: rootDir, env, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  started.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

const startStack = (env: NodeJS.ProcessEnv, options?: { detached?: boolean }) =>
  run(['--import', 'tsx', START], env, options);

const readyz = (apiUrl: string) =>
  fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
    (response) => response.status,
    () => null,
  );

const servicePids = (dataDir: string) =>
  (JSON.parse(readFileSync(path.join(dataDir, 'local-stack.pids.json'), 'utf8')) as { pids: number[] }).pids;

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe('npm start: one stack per data directory', () => {
  it('a second start while one runs is refused, names the running one, and leaves it whole', async () => {
    const database = await createTestDatabase();
    const { env, apiUrl, dataDir } = await localStackEnv(database.url, 'paygraph-one-start-');
    dataDirs.push(dataDir);
    try {
      const first = startStack(env);
      await eventually(
        () => readyz(apiUrl),
        (status) => status === 200,
        60_000,
      );
      const pidsBefore = servicePids(dataDir);

      const second = startStack(env);
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain(`Paygraph is already running on ${dataDir}, pid ${first.child.pid}`);
      expect(second.output()).not.toMatch(/\n\s+at /);

      // The first keeps its services, their tokens and its port.
      expect(servicePids(dataDir)).toEqual(pidsBefore);
      expect(pidsBefore.every(alive)).toBe(true);
      expect(await readyz(apiUrl)).toBe(200);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const live = await client.query(
        `select count(*)::int as n from "AccessToken" where name like '%(npm start)' and "revokedAt" is null`,
      );
      await client.end();
      expect(live.rows[0].n).toBe(3);
    } finally {
      await database.drop();
    }
  }, 120_000);

  it('a stack whose starter is killed with SIGKILL stops itself, services and all', async () => {
    const database = await createTestDatabase();
    const { env, apiUrl, dataDir } = await localStackEnv(database.url, 'paygraph-orphan-');
    dataDirs.push(dataDir);
    try {
      // A stand-in for npm: the process that started the stack, killed as a container's stop kills PID 1.
      const starter = run(
        [
          '-e',
          `require('node:child_process').spawn(process.execPath, ['--import', 'tsx', ${JSON.stringify(START)}], { stdio: 'inherit' }); setInterval(() => {}, 60000);`,
        ],
        env,
      );
      await eventually(
        () => readyz(apiUrl),
        (status) => status === 200,
        60_000,
      );
      const pids = servicePids(dataDir);
      starter.child.kill('SIGKILL');

      await eventually(
        () => readyz(apiUrl),
        (status) => status === null,
        30_000,
      );
      await eventually(
        async () => pids.filter(alive),
        (left) => left.length === 0,
        30_000,
      );
      await eventually(
        async () => existsSync(path.join(dataDir, 'paygraph.pid.json')),
        (exists) => !exists,
        10_000,
      );
    } finally {
      await database.drop();
    }
  }, 120_000);

  it('Ctrl-C after a start that reused the killed start’s PostgreSQL stops it too, in order and without an error', async () => {
    // The embedded PostgreSQL: no DATABASE_URL.
    const { env, apiUrl, dataDir } = await localStackEnv('', 'paygraph-reused-pg-');
    delete env.DATABASE_URL;
    dataDirs.push(dataDir);
    // PostgreSQL runs as its own user, which must reach its data folder inside this one.
    chmodSync(dataDir, 0o755);
    const killed = startStack(env);
    await eventually(
      () => readyz(apiUrl),
      (status) => status === 200,
      90_000,
    );
    killed.child.kill('SIGKILL');
    await killed.exited;
    const postmasterFile = path.join(dataDir, 'postgres', 'postmaster.pid');
    const postmaster = Number(readFileSync(postmasterFile, 'utf8').split('\n')[0]);
    expect(alive(postmaster)).toBe(true);

    // In a process group of its own, so that signalling the group is what Ctrl-C in a terminal does.
    const restarted = startStack({ ...env, LOG_LEVEL: 'info' }, { detached: true });
    await eventually(
      () => readyz(apiUrl),
      (status) => status === 200,
      90_000,
    );
    expect(restarted.output()).toMatch(/"reused":true/);
    process.kill(-restarted.child.pid!, 'SIGINT');
    const code = await restarted.exited;
    expect(code).toBe(0);
    expect(alive(postmaster)).toBe(false);
    expect(restarted.output()).toContain('shutting down');
    expect(restarted.output()).not.toMatch(/"level":(50|60)|connection lost|\n\s+at /);
  }, 180_000);
});
