import type { WorkerUtils } from 'graphile-worker';
import type { Pool } from 'pg';
import { DELIVER_TASK, queueJobFor } from './delivery-job.js';

// graphile-worker's own housekeeping, through its public interface: the `graphile_worker.jobs` view
// and WorkerUtils (forceUnlockWorkers, cleanup). Nothing here reads its `_private_` tables.

/** Frees the jobs these workers (or worker pools) hold, so other workers take them. */
export async function forceUnlock(utils: WorkerUtils, workerIds: readonly string[]): Promise<void> {
  if (workerIds.length > 0) await utils.forceUnlockWorkers([...workerIds]);
}

/**
 * graphile-worker frees a crashed worker's jobs only after 4 hours; our attempts are bounded by their
 * timeout, so a much older lock can only mean its worker died (SIGKILL, power loss) mid-delivery.
 */
export async function releaseJobsOfDeadWorkers(pool: Pool, utils: WorkerUtils, staleLockMs: number): Promise<void> {
  const { rows } = await pool.query<{ locked_by: string }>(
    `select distinct locked_by from graphile_worker.jobs
      where locked_by is not null and locked_at < now() - make_interval(secs => $1::float8 / 1000)`,
    [staleLockMs],
  );
  await forceUnlock(
    utils,
    rows.map((row) => row.locked_by),
  );
}

/**
 * The last safety net for deliveries that run through jobs (retries, ordered ones): a PENDING one
 * long overdue, not being attempted, and with no job left that will run (its job failed permanently
 * inside graphile-worker while the database was away, say) gets a job again. Every delivery job is
 * keyed by its delivery's id, so the public view finds it. First attempts of unordered deliveries
 * have no job: the dispatcher's backlog pump finds them (claimDueDeliveries).
 *
 * An ordered delivery's job whose queue is gone counts as lost too: collectUnusedQueues cannot see a
 * job its mutation has not committed yet, so it can drop the node's queue under it, and
 * graphile-worker never runs a job whose queue does not exist. add_job with the same key recreates
 * the queue and points the waiting job at it (graphile-worker 0.17's add_jobs).
 */
export async function requeueForgottenDeliveries(pool: Pool, overdueMs: number): Promise<number> {
  const { rows } = await pool.query<{ requeued: number }>(
    `select count(${queueJobFor('d')})::int as requeued
       from callback_delivery d
      where d.status = 'PENDING' and (d.ordered or d.attempts > 0)
        and coalesce(d.next_attempt_at, d.created_at) < now() - make_interval(secs => $2::float8 / 1000)
        and (d.leased_until is null or d.leased_until < now())
        and not exists (select 1 from graphile_worker.jobs j
                         where j.task_identifier = $1 and j.key = d.id::text and j.attempts < j.max_attempts
                           and (j.queue_name is not null or not d.ordered))`,
    [DELIVER_TASK, overdueMs],
  );
  return rows[0]?.requeued ?? 0;
}

/**
 * Drops the named queues no job uses any more (each node of an `ordered` callback has its own). It
 * races with a mutation still open on a job for such a queue: requeueForgottenDeliveries repairs that.
 */
export async function collectUnusedQueues(utils: WorkerUtils): Promise<void> {
  await utils.cleanup({ tasks: ['GC_JOB_QUEUES'] });
}
