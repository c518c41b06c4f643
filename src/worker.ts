import { EventEmitter } from 'node:events';
import {
  Logger as GraphileLogger,
  makeWorkerUtils,
  run,
  runMigrations,
  type Runner,
  type WorkerEvents,
  type WorkerUtils,
} from 'graphile-worker';
import type { Pool } from 'pg';
import {
  attemptClaimed,
  claimedPayloadRenderer,
  deliveryTask,
  payloadRenderer,
  type DeliveryDeps,
} from './callbacks/deliver.js';
import { startDispatcher } from './callbacks/dispatcher.js';
import { takeOverDeadWorkers } from './callbacks/store/dead-workers.js';
import { startWorkerPresence } from './callbacks/worker-presence.js';
import { DELIVER_TASK, type DeliveryJobPayload } from './callbacks/store/delivery-job.js';
import {
  forceUnlock,
  releaseJobsOfDeadWorkers,
  requeueForgottenDeliveries,
} from './callbacks/store/job-housekeeping.js';
import type { DeliveryTiming } from './callbacks/timing.js';
import type { Logger } from '../packages/base/logger.js';
import type { Check } from './probes.js';
import { purgeExpiredKeys } from './request/idempotency-keys.js';

export interface WorkerOptions {
  deps: DeliveryDeps;
  /** PostgreSQL itself (DATABASE_DIRECT_URL), for the dispatcher's LISTEN connection. */
  databaseUrl: string;
  /** graphile-worker's pool: its runner LISTENs on one of its connections, which a pooler in transaction mode would not carry. */
  queuePool: Pool;
  concurrency: number;
  /** Lease, stale-lock time, local-queue TTL and sweep interval, derived together (callbacks/timing.ts). */
  timing: DeliveryTiming;
}

const RESTART_FIRST_DELAY_MS = 500;
// How often a worker looks for workers whose session ended: a dead worker's deliveries wait about this plus TAKEOVER_AFTER_MS.
const TAKEOVER_SWEEP_MS = 1_000;
const RESTART_MAX_DELAY_MS = 30_000;

/** Installs or upgrades graphile-worker's schema; the API needs it too, to queue jobs in its transactions. */
export async function prepareJobQueue(pool: Pool, logger: Logger): Promise<void> {
  await runMigrations({ pgPool: pool, logger: graphileLogger(logger) });
}

/**
 * The graphile-worker runner (LISTEN/NOTIFY pick-up, batching on, our one task), supervised (see
 * superviseRunner), beside the dispatcher of first attempts and the sweep of dead workers' jobs. Its
 * state is the `worker` check of /readyz: it recovers by itself, so it is no reason to restart the
 * process (/healthz).
 */
export async function startWorker({
  deps,
  databaseUrl,
  queuePool,
  concurrency,
  timing,
}: WorkerOptions): Promise<{ stop(): Promise<void>; ready: Check }> {
  const { logger, pool } = deps;
  const attempt = attemptClaimed(deps);
  const deliver = deliveryTask(deps, attempt);
  const utils = await makeWorkerUtils({ pgPool: queuePool });

  await releaseJobsOfDeadWorkers(pool, utils, timing.staleLockMs);
  const runner = await superviseRunner({
    pool: queuePool,
    utils,
    concurrency,
    localQueueTtlMs: timing.localQueueTtlMs,
    logger,
    deliver,
  });
  // First attempts need no job: the dispatcher hears of them, or its pump finds them.
  const dispatcher = await startDispatcher({
    pool,
    databaseUrl,
    attempt,
    render: payloadRenderer(deps),
    renderClaimed: claimedPayloadRenderer(deps),
    leaseMs: deps.leaseMs,
    concurrency,
    pumpIntervalMs: timing.pumpIntervalMs,
    pumpRetryMaxMs: timing.pumpRetryMaxMs,
    logger,
  });
  const presence = startWorkerPresence(databaseUrl, logger);
  const takeover = setInterval(() => {
    takeOverDeadWorkers(pool)
      .then(
        ({ workers, deliveries }) =>
          workers > 0 && logger.warn({ workers, deliveries }, 'took over the deliveries of workers that died'),
      )
      .catch((err) => logger.debug({ err }, 'dead worker sweep failed'));
  }, TAKEOVER_SWEEP_MS);
  takeover.unref();
  const sweeper = setInterval(() => {
    releaseJobsOfDeadWorkers(pool, utils, timing.staleLockMs)
      .then(() => requeueForgottenDeliveries(pool, timing.staleLockMs))
      .then((requeued) => requeued > 0 && logger.warn({ requeued }, 'queued overdue deliveries whose jobs were lost'))
      .then(() => purgeExpiredKeys(pool))
      .catch((err) => logger.warn({ err }, 'stale lock sweep failed'));
  }, timing.sweepIntervalMs);
  sweeper.unref();

  return {
    // Without its LISTEN connection the dispatcher hears of no new delivery: its pump still sends them, a second late.
    ready: async () => {
      const state = runner.state();
      return state.ok && !dispatcher.listening()
        ? { ok: false, detail: 'the dispatcher cannot LISTEN: new deliveries wait for its pump' }
        : state;
    },
    async stop() {
      clearInterval(sweeper);
      clearInterval(takeover);
      await Promise.all([runner.stop(), dispatcher.stop()]);
      await presence.stop();
      await utils.release();
    },
  };
}

interface RunnerOptions {
  pool: Pool;
  utils: WorkerUtils;
  concurrency: number;
  localQueueTtlMs: number;
  logger: Logger;
  deliver: (deliveryId: string) => Promise<void>;
}

/**
 * Runs graphile-worker's runner; when it fails (its database went away, say), the failure is logged,
 * the jobs it held are released, and a new runner starts with backoff until the database answers again.
 */
async function superviseRunner(
  options: RunnerOptions,
): Promise<{ state(): { ok: boolean; detail: string }; stop(): Promise<void> }> {
  const { utils, logger } = options;
  let runner: Runner | null = null;
  let stopping = false;
  let state: { ok: boolean; detail: string } = { ok: false, detail: 'starting' };
  let restartTimer: NodeJS.Timeout | undefined;
  const setState = (next: typeof state) => {
    if (runner) state = next;
  };

  const startRunner = async (): Promise<void> => {
    const { events, lockerIds } = runnerEvents(setState);
    runner = await runGraphileWorker(options, events);
    state = { ok: true, detail: 'running' };
    runner.promise.then(
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
        await forceUnlock(utils, lockerIds);
        await startRunner();
        logger.info({ attempt }, 'the callbacks worker is running again');
      } catch (retryError) {
        restart(retryError as Error, lockerIds, attempt + 1);
      }
    }, delay);
  };

  await startRunner();
  return {
    state: () => state,
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      await runner?.stop();
    },
  };
}

/** A runner's events: the ids it locks jobs with, to release them if it fails, and its LISTEN connection's state. */
function runnerEvents(setState: (state: { ok: boolean; detail: string }) => void): {
  events: WorkerEvents;
  lockerIds: Set<string>;
} {
  const lockerIds = new Set<string>();
  const events: WorkerEvents = new EventEmitter();
  events.on('pool:create', ({ workerPool }) => lockerIds.add(workerPool.id));
  events.on('worker:create', ({ worker }) => lockerIds.add(worker.workerId));
  // The LISTEN connection is how jobs arrive: while it is down, the worker is alive but cannot work.
  events.on('pool:listen:error', ({ error }) =>
    setState({ ok: false, detail: `cannot reach the database: ${(error as Error).message}` }),
  );
  events.on('pool:listen:success', () => setState({ ok: true, detail: 'running' }));
  return { events, lockerIds };
}

function runGraphileWorker(
  { pool, concurrency, localQueueTtlMs, logger, deliver }: RunnerOptions,
  events: WorkerEvents,
): Promise<Runner> {
  return run({
    pgPool: pool,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: graphileLogger(logger),
    events,
    taskList: { [DELIVER_TASK]: async (payload) => deliver((payload as DeliveryJobPayload).id) },
    preset: {
      worker: {
        // Jobs wait locked in the local queue; they go back well before the sweeper would call them stale.
        localQueue: { size: concurrency + 1, ttl: localQueueTtlMs },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
      },
    },
  });
}

function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message, meta) => {
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
    logger[method]({ ...meta, component: 'graphile-worker' }, message);
  });
}
