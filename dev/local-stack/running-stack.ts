import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertPortFree } from './leftovers.js';

const FILE = 'paygraph.pid.json';

interface Holder {
  pid: number;
  port: number;
  /** The kernel's start time of that pid: a pid reused by another process after a reboot does not match. */
  startTime: string;
}

/** A second `npm start` on the same data while the first still runs: it is refused before it touches anything. */
export class AlreadyRunningError extends Error {
  /** What the user acts on: printed as one line, not a stack trace (src/run-paygraph.ts). */
  readonly expected = true;
  constructor(holder: Holder, dataDir: string) {
    super(
      `Paygraph is already running on ${dataDir}, pid ${holder.pid}, port ${holder.port}; stop it first ` +
        `(Ctrl-C in its terminal, or kill ${holder.pid}), or give this start another DATA_DIR`,
    );
    this.name = 'AlreadyRunningError';
  }
}

/**
 * Claims DATA_DIR for this start. Another start still running there keeps its services, tokens and
 * port: stopping its services and replacing its tokens (what this start does next) would leave it
 * answering with services it can no longer supervise. Returns the release, run when this start stops.
 */
export async function claimDataDir(dataDir: string, port: number): Promise<() => Promise<void>> {
  const file = path.join(dataDir, FILE);
  const holder = readHolder(file);
  if (holder && holder.pid !== process.pid && startTimeOf(holder.pid) === holder.startTime) {
    throw new AlreadyRunningError(holder, dataDir);
  }
  await assertPortFree(port, 'the API');
  const own: Holder = { pid: process.pid, port, startTime: startTimeOf(process.pid) ?? '' };
  writeFileSync(`${file}.tmp`, JSON.stringify(own));
  renameSync(`${file}.tmp`, file);
  return async () => {
    if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
  };
}

function readHolder(file: string): Holder | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    // Half a file from a start killed while writing it: no live start wrote it whole.
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat; null when the process is gone (or there is no /proc to ask). */
export function startTimeOf(pid: number): string | null {
  const stat = procStat(pid);
  return stat ? (stat[19] ?? null) : null;
}

/** The fields of /proc/<pid>/stat after the command name (which may itself hold spaces and parentheses). */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

const parentOf = (pid: number): number | null => {
  const parent = Number(procStat(pid)?.[1]);
  return Number.isInteger(parent) && parent > 0 ? parent : null;
};

function runsNpm(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.slice(0, 2).some((arg) => /(^|\/)npm(-cli\.js)?$/.test(arg));
  } catch {
    return false;
  }
}

/**
 * The processes between this one and the `npm start` that started it (npm, its shell, tsx): the
 * chain up to the nearest npm, or the direct parent alone when no npm started us. Nothing above npm
 * counts, so `nohup npm start &` survives the shell that ran it.
 */
export function starterChain(): { pid: number; startTime: string }[] {
  const chain: { pid: number; startTime: string }[] = [];
  for (let pid = parentOf(process.pid); pid !== null && pid !== 1; pid = parentOf(pid)) {
    const startTime = startTimeOf(pid);
    if (startTime === null) break;
    chain.push({ pid, startTime });
    if (runsNpm(pid)) return chain;
  }
  if (runsNpm(1)) return [...chain, { pid: 1, startTime: startTimeOf(1) ?? '' }];
  return chain.slice(0, 1);
}

/**
 * Runs `onGone` once when any process of the starter chain dies: a `kill -9` of npm (what stopping a
 * container whose PID 1 is `npm start` does) must not leave this stack running as an orphan that a
 * later start cannot stop cleanly. Linux only (/proc); elsewhere nothing is watched.
 */
export function stopWhenStarterDies(onGone: (pid: number) => void, everyMs = 1_000): () => void {
  const chain = starterChain();
  if (chain.length === 0) return () => undefined;
  const timer = setInterval(() => {
    const gone = chain.find((link) => startTimeOf(link.pid) !== link.startTime);
    if (!gone) return;
    clearInterval(timer);
    onGone(gone.pid);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
