/**
 * The contract between a delivery and its graphile-worker job, in one place: the task's name, its
 * payload, its queue (the SQL function `paygraph_callback_queue_name`, migration
 * `callback_queue_name`) and its attempts. Every statement that queues a delivery job builds it here.
 */
export const DELIVER_TASK = 'deliver-callback';

/** A delivery job's payload: the delivery's id, nothing more (the row holds the rest). */
export interface DeliveryJobPayload {
  id: string;
}

// Covers a worker crashing mid-task; ordinary HTTP failures are retried by our own policy, not by
// graphile-worker (the task never throws for them).
export const JOB_MAX_ATTEMPTS = 5;

/**
 * `graphile_worker.add_job(...)` for the delivery whose columns `row` names, as SQL to select from a
 * CTE or table. Keyed by the delivery id, so a later job for the same delivery (a retry, a wake-up)
 * replaces a waiting one instead of adding another, and `graphile_worker.jobs.key` finds it.
 * `runAt` is a SQL expression (null: now).
 */
export function queueDeliveryJob(
  row: { id: string; callback: string; nodeId: string; ordered: string },
  runAt = 'null',
): string {
  return `graphile_worker.add_job('${DELIVER_TASK}', json_build_object('id', ${row.id}),
            queue_name => paygraph_callback_queue_name(${row.callback}, ${row.nodeId}, ${row.ordered}),
            run_at => ${runAt}, job_key => ${row.id}::text, max_attempts => ${JOB_MAX_ATTEMPTS})`;
}

/** The same, for a CTE or table with the columns of `callback_delivery` (id, callback, node_id, ordered). */
export const queueJobFor = (alias: string, runAt?: string) =>
  queueDeliveryJob(
    { id: `${alias}.id`, callback: `${alias}.callback`, nodeId: `${alias}.node_id`, ordered: `${alias}.ordered` },
    runAt,
  );
