import { Logger as GraphileLogger, run, runMigrations, type Runner } from 'graphile-worker';
import type { Pool } from 'pg';
import { deliveryTask, type DeliveryDeps } from './callbacks/deliver.js';
import { DELIVER_TASK } from './callbacks/delivery-store.js';
import type { Logger } from './logger.js';

export interface WorkerOptions {
  deps: DeliveryDeps;
  concurrency: number;
  /** A job locked longer than this belongs to a worker that died (no attempt runs longer than its timeout). */
  staleLockMs: number;
}

/** Installs or upgrades graphile-worker's schema; the API needs it too, to queue jobs in its transactions. */
export async function prepareJobQueue(pool: Pool, logger: Logger): Promise<void> {
  await runMigrations({ pgPool: pool, logger: graphileLogger(logger) });
}

/** The graphile-worker runner: LISTEN/NOTIFY pick-up, batching on, our one task. */
export async function startWorker({ deps, concurrency, staleLockMs }: WorkerOptions): Promise<{ running(): boolean; stop(): Promise<void> }> {
  await releaseJobsOfDeadWorkers(deps.pool, staleLockMs);
  const deliver = deliveryTask(deps);
  const runner: Runner = await run({
    pgPool: deps.pool,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: graphileLogger(deps.logger),
    taskList: {
      [DELIVER_TASK]: async (payload) => deliver((payload as { id: string }).id),
    },
    preset: {
      worker: {
        // Jobs wait locked in the local queue; they go back well before the sweeper would call them stale.
        localQueue: { size: concurrency + 1, ttl: Math.min(300_000, Math.floor(staleLockMs / 2)) },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
      },
    },
  });
  const sweeper = setInterval(() => {
    releaseJobsOfDeadWorkers(deps.pool, staleLockMs).catch((err) => deps.logger.warn({ err }, 'stale lock sweep failed'));
  }, Math.max(1000, Math.min(staleLockMs, 30_000)));
  sweeper.unref();
  // The runner's promise settles only when it stops; before stop() is called, that means it died.
  let running = true;
  runner.promise.then(
    () => (running = false),
    (err: unknown) => {
      running = false;
      deps.logger.error({ err }, 'the callbacks worker stopped');
    },
  );
  return {
    running: () => running,
    async stop() {
      clearInterval(sweeper);
      await runner.stop();
    },
  };
}

// graphile-worker frees a crashed worker's jobs only after 4 hours; our attempts are bounded by their
// timeout, so a much older lock can only mean its worker died (SIGKILL, power loss) mid-delivery.
async function releaseJobsOfDeadWorkers(pool: Pool, staleLockMs: number): Promise<void> {
  await pool.query(
    `select graphile_worker.force_unlock_workers(array_agg(distinct locked_by))
       from graphile_worker._private_jobs
      where locked_by is not null and locked_at < now() - make_interval(secs => $1::float8 / 1000)
     having count(*) > 0`,
    [staleLockMs],
  );
}

function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message, meta) => {
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
    logger[method]({ ...meta, component: 'graphile-worker' }, message);
  });
}
