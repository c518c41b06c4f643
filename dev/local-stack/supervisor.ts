import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../../packages/base/logger.js';
import type { Check } from '../../src/probes.js';

export interface SupervisedOptions {
  name: string;
  /** node arguments, e.g. ['--import', 'tsx', 'services/run.ts', 'charge-customer'] */
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where the service answers GET /healthz with the instance id it was given. */
  url: string;
  logger: Logger;
  startTimeoutMs?: number;
  /** Told each new pid, first start and restarts alike. */
  onLaunch?: (pid: number) => void;
}

const RESTART_FIRST_DELAY_MS = 500;
const RESTART_MAX_DELAY_MS = 30_000;
// A service that stayed up this long had a fresh failure when it dies: its backoff starts again.
const STABLE_AFTER_MS = 60_000;

/**
 * A service in its own process, owned by this one: it gets an IPC channel, so it stops by itself when
 * this process dies however it dies; it is ready only when its own instance id answers on its URL
 * (never another process that happens to hold the port); and when it dies it is restarted with
 * backoff, logged, and reported by `ready` meanwhile.
 */
export async function startSupervised(options: SupervisedOptions) {
  const { logger, name } = options;
  let child: ChildProcess | null = null;
  let stopping = false;
  let state = { ok: false, detail: 'starting' };
  let failures = 0;

  const launch = async (): Promise<void> => {
    const { child: current, ready, exited } = spawnService(options);
    child = current;
    const startedAt = Date.now();
    await ready;
    state = { ok: true, detail: `running (pid ${current.pid})` };
    void exited.then((how) => {
      if (stopping) return;
      failures = Date.now() - startedAt > STABLE_AFTER_MS ? 1 : failures + 1;
      state = { ok: false, detail: `exited (${how}); restarting` };
      logger.error({ service: name, exit: how, restart: failures }, `${name} stopped unexpectedly; restarting it`);
      void relaunch();
    });
  };

  const relaunch = async (): Promise<void> => {
    while (!stopping) {
      await delay(Math.min(RESTART_MAX_DELAY_MS, RESTART_FIRST_DELAY_MS * 2 ** (failures - 1)));
      if (stopping) return;
      try {
        await launch();
        logger.warn({ service: name, pid: child?.pid }, `${name} is running again`);
        return;
      } catch (error) {
        failures += 1;
        state = { ok: false, detail: (error as Error).message };
        logger.error({ service: name, err: error }, `${name} could not be restarted`);
      }
    }
  };

  try {
    await launch();
  } catch (error) {
    stopping = true;
    await stopChild(child);
    throw error;
  }

  const ready: Check = async () => state;
  return {
    ready,
    async stop() {
      stopping = true;
      await stopChild(child);
    },
  };
}

/** Starts the service; `ready` once it answers as the instance it was given, failed if it exits first. */
function spawnService(options: SupervisedOptions): {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | string>;
} {
  const instance = randomUUID();
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // A process group of its own: Ctrl-C reaches npm start alone, which stops its services after the API (in order).
    detached: true,
    env: { ...options.env, SERVICE_INSTANCE: instance },
  });
  if (child.pid) options.onLaunch?.(child.pid);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code ?? 0)),
  );
  const ready = Promise.race([
    answersAs(options.url, instance, options.startTimeoutMs ?? 30_000),
    exited.then((how) => {
      throw new Error(`${options.name} exited (${how}) before it was ready`);
    }),
  ]);
  return { child, ready, exited };
}

function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Polls GET /healthz until the service there says it is this instance. */
async function answersAs(url: string, instance: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const body = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(1_000) })
      .then((response) => response.json() as Promise<{ instance?: string }>)
      .catch(() => null);
    if (body?.instance === instance) return;
    await delay(50);
  }
  throw new Error(`nothing answered as this start's service on ${url} within ${timeoutMs} ms`);
}
