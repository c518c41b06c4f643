import { EventEmitter } from 'node:events';
import { Logger as GraphileLogger, run, runMigrations, type Runner, type WorkerEvents } from 'graphile-worker';
import type { Pool } from 'pg';
import { deliveryTask, type DeliveryDeps } from './callbacks/deliver.js';
import { DELIVER_TASK, requeueForgottenDeliveries } from './callbacks/delivery-store.js';
import type { Logger } from './logger.js';
import type { Check } from './probes.js';
import { purgeExpiredKeys } from './request/idempotency-keys.js';

export interface WorkerOptions {
  deps: DeliveryDeps;
  concurrency: number;
  /** A job locked longer than this belongs to a worker that died (no attempt runs longer than its timeout). */
  staleLockMs: number;
}

const RESTART_FIRST_DELAY_MS = 500;
const RESTART_MAX_DELAY_MS = 30_000;

/** Installs or upgrades graphile-worker's schema; the API needs it too, to queue jobs in its transactions. */
export async function prepareJobQueue(pool: Pool, logger: Logger): Promise<void> {
  await runMigrations({ pgPool: pool, logger: graphileLogger(logger) });
}

/**
 * The graphile-worker runner (LISTEN/NOTIFY pick-up, batching on, our one task), supervised: when the
 * runner fails (its database went away, say), the failure is logged, the jobs it held are released,
 * and a new runner starts with backoff until the database answers again. Its state is the `worker`
 * check of /healthz.
 */
export async function startWorker({ deps, concurrency, staleLockMs }: WorkerOptions): Promise<{ stop(): Promise<void>; health: Check }> {
  const { logger, pool } = deps;
  const deliver = deliveryTask(deps);
  let runner: Runner | null = null;
  let stopping = false;
  let state: { ok: boolean; detail: string } = { ok: false, detail: 'starting' };
  let restartTimer: NodeJS.Timeout | undefined;

  const startRunner = async (): Promise<void> => {
    // The ids its pool and workers lock jobs with, to release them if this runner fails.
    const lockerIds = new Set<string>();
    const events: WorkerEvents = new EventEmitter();
    events.on('pool:create', ({ workerPool }) => lockerIds.add(workerPool.id));
    events.on('worker:create', ({ worker }) => lockerIds.add(worker.workerId));
    // The LISTEN connection is how jobs arrive: while it is down, the worker is alive but cannot work.
    events.on('pool:listen:error', ({ error }) => {
      if (runner) state = { ok: false, detail: `cannot reach the database: ${(error as Error).message}` };
    });
    events.on('pool:listen:success', () => {
      if (runner) state = { ok: true, detail: 'running' };
    });
    runner = await run({
      pgPool: pool,
      concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: graphileLogger(logger),
      events,
      taskList: { [DELIVER_TASK]: async (payload) => deliver((payload as { id: string }).id) },
      preset: {
        worker: {
          // Jobs wait locked in the local queue; they go back well before the sweeper would call them stale.
          localQueue: { size: concurrency + 1, ttl: Math.min(300_000, Math.floor(staleLockMs / 2)) },
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
      },
    });
    state = { ok: true, detail: 'running' };
    const current = runner;
    current.promise.then(
      () => !stopping && restart(new Error('the worker stopped by itself'), [...lockerIds]),
      (error: Error) => !stopping && restart(error, [...lockerIds]),
    );
  };

  const restart = (error: Error, lockerIds: string[], attempt = 1): void => {
    runner = null;
    state = { ok: false, detail: `restarting (attempt ${attempt}): ${error.message}` };
    logger.error({ err: error, attempt }, 'the callbacks worker failed; restarting it');
    const delay = Math.min(RESTART_MAX_DELAY_MS, RESTART_FIRST_DELAY_MS * 2 ** (attempt - 1));
    restartTimer = setTimeout(async () => {
      if (stopping) return;
      try {
        // An attempt still running in the failed runner holds its delivery's lease, so a job released
        // here is not sent twice.
        await forceUnlock(pool, lockerIds);
        await startRunner();
        logger.info({ attempt }, 'the callbacks worker is running again');
      } catch (retryError) {
        restart(retryError as Error, lockerIds, attempt + 1);
      }
    }, delay);
  };

  await releaseJobsOfDeadWorkers(pool, staleLockMs);
  await startRunner();
  const sweeper = setInterval(() => {
    releaseJobsOfDeadWorkers(pool, staleLockMs)
      .then(() => requeueForgottenDeliveries(pool, staleLockMs))
      .then((requeued) => requeued > 0 && logger.warn({ requeued }, 'queued overdue deliveries whose jobs were lost'))
      .then(() => purgeExpiredKeys(pool))
      .catch((err) => logger.warn({ err }, 'stale lock sweep failed'));
  }, Math.max(1000, Math.min(staleLockMs, 30_000)));
  sweeper.unref();

  return {
    health: async () => state,
    async stop() {
      stopping = true;
      clearInterval(sweeper);
      clearTimeout(restartTimer);
      await runner?.stop();
    },
  };
}

// graphile-worker frees a crashed worker's jobs only after 4 hours; our attempts are bounded by their
// timeout, so a much older lock can only mean its worker died (SIGKILL, power loss) mid-delivery.
async function releaseJobsOfDeadWorkers(pool: Pool, staleLockMs: number): Promise<void> {
  const { rows } = await pool.query<{ locked_by: string }>(
    `select distinct locked_by from graphile_worker.jobs
      where locked_by is not null and locked_at < now() - make_interval(secs => $1::float8 / 1000)`,
    [staleLockMs],
  );
  await forceUnlock(
    pool,
    rows.map((row) => row.locked_by),
  );
}

async function forceUnlock(pool: Pool, workerIds: string[]): Promise<void> {
  if (workerIds.length > 0) await pool.query('select graphile_worker.force_unlock_workers($1::text[])', [workerIds]);
}

function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message, meta) => {
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
    logger[method]({ ...meta, component: 'graphile-worker' }, message);
  });
}
