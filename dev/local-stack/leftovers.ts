import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const FILE = 'local-stack.pids.json';
// Only a process whose command line names our service runner is ours to stop: pids get reused.
const MARKER = 'services/run.ts';

/** The pids of the services this start runs, kept in DATA_DIR so the next start can find them. */
export function recordPids(dataDir: string, pids: number[]): void {
  // Written whole or not at all: a start that reads it never sees half a file.
  const file = path.join(dataDir, FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify({ pids }));
  renameSync(`${file}.tmp`, file);
}

export function forgetPids(dataDir: string): void {
  rmSync(path.join(dataDir, FILE), { force: true });
}

/**
 * Stops what an earlier start left running: services orphaned by an API process killed with
 * SIGKILL (they also stop by themselves once their parent's IPC channel closes, but may be busy).
 * Returns the pids it stopped.
 */
export async function stopLeftovers(dataDir: string): Promise<number[]> {
  let pids: number[];
  try {
    pids = (JSON.parse(readFileSync(path.join(dataDir, FILE), 'utf8')) as { pids: number[] }).pids;
  } catch {
    return [];
  }
  const ours = pids.filter((pid) => commandLine(pid)?.includes(MARKER));
  for (const pid of ours) signal(pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (ours.some(alive) && Date.now() < deadline) await delay(50);
  for (const pid of ours.filter(alive)) signal(pid, 'SIGKILL');
  forgetPids(dataDir);
  return ours;
}

/** Refuses a port that something else holds, before a service fails on it with EADDRINUSE. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
  if (!free) {
    const error = new Error(`port ${port} for ${what} is taken by another process; stop it or set another port`);
    // What the user acts on: one line, not a stack trace (src/run-paygraph.ts).
    throw Object.assign(error, { expected: true });
  }
}

function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return null;
  }
}

const alive = (pid: number) => commandLine(pid) !== null;

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
