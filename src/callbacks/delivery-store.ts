import type { Pool } from 'pg';
import type { Tx } from '../db/client.js';
import { createBatcher } from './batcher.js';
import type { Outcome } from './retry-policy.js';

/** The SQL of deliveries, one statement per purpose. Jobs are queued by the same statement that needs them. */
export interface DeliveryRow {
  id: string;
  seq: string;
  callback: string;
  trigger: string;
  node_id: string;
  changed_fields: string[];
  previous_values: Record<string, unknown> | null;
  status: 'PENDING' | 'DELIVERED' | 'FAILED' | 'DEAD';
  attempts: number;
  max_attempts: number;
  ordered: boolean;
  created_at: Date;
  enabled_override: boolean | null;
}

export const DELIVER_TASK = 'deliver-callback';
// Covers a worker crashing mid-task; ordinary HTTP failures are retried by our own policy, not by this.
const JOB_MAX_ATTEMPTS = 5;

export const queueNameFor = (delivery: Pick<DeliveryRow, 'ordered' | 'callback' | 'node_id'>) =>
  delivery.ordered ? `callback:${delivery.callback}:${delivery.node_id}` : null;

/**
 * Claims pending deliveries for one attempt, many per query when many are asked for at once. A
 * delivery another run holds (a job duplicated by a re-queue, say) or that is finished is not returned.
 */
export function deliveryClaimer(pool: Pool, leaseMs: number): (id: string) => Promise<DeliveryRow | undefined> {
  return createBatcher(async (ids: string[]) => {
    const { rows } = await pool.query<DeliveryRow>(
      `update callback_delivery d set leased_until = now() + make_interval(secs => $2::float8 / 1000)
        where d.id = any($1::uuid[]) and d.status = 'PENDING' and (d.leased_until is null or d.leased_until < now())
        returning d.id, d.seq::text, d.callback, d.trigger, d.node_id, d.changed_fields, d.previous_values, d.status,
                  d.attempts, d.max_attempts, d.ordered, d.created_at,
                  (select s.enabled from callback_setting s where s.name = d.callback) as enabled_override`,
      [ids, leaseMs],
    );
    // One claim per row: if a batch asked for the same delivery twice, only the first asker gets it.
    const claimed = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => {
      const row = claimed.get(id);
      claimed.delete(id);
      return row;
    });
  });
}

/**
 * When a claim fails because another run holds the delivery, this run's job comes back within a
 * second (or when the lease ends, if sooner), for as long as the delivery is pending: if that run
 * died, the delivery is not left without a job, and if it just finished (its own job could not be
 * queued while this one held the key), the delivery goes on at once rather than a lease later.
 */
export async function retryAfterLease(pool: Pool, id: string): Promise<void> {
  await pool.query(
    `select graphile_worker.add_job($2, json_build_object('id', id), run_at => least(leased_until, now() + interval '1 second'),
              job_key => id::text, queue_name => case when ordered then 'callback:' || callback || ':' || node_id end,
              max_attempts => $3)
       from callback_delivery where id = $1::uuid and status = 'PENDING'`,
    [id, DELIVER_TASK, JOB_MAX_ATTEMPTS],
  );
}

/** For `ordered` callbacks: the earliest undelivered event of the same node, if any comes before this one. */
export async function pendingPredecessor(pool: Pool, delivery: DeliveryRow): Promise<{ next_attempt_at: Date | null } | undefined> {
  const { rows } = await pool.query<{ next_attempt_at: Date | null }>(
    `select next_attempt_at from callback_delivery
      where callback = $1 and node_id = $2 and seq < $3 and status = 'PENDING' order by seq limit 1`,
    [delivery.callback, delivery.node_id, delivery.seq],
  );
  return rows[0];
}

/** Puts a claimed delivery back, untried, to run at `runAt`. */
export async function scheduleDelivery(pool: Pool, delivery: DeliveryRow, runAt: Date): Promise<void> {
  await pool.query(
    `with released as (update callback_delivery set leased_until = null where id = $2::uuid)
     select graphile_worker.add_job($1, json_build_object('id', $2::text), queue_name => $3, run_at => $4,
                                    job_key => $2::text, max_attempts => $5)`,
    [DELIVER_TASK, delivery.id, queueNameFor(delivery), runAt, JOB_MAX_ATTEMPTS],
  );
}

export interface AttemptRecord {
  attempt: number;
  startedAt: Date;
  durationMs: number;
  httpStatus: number | null;
  response: string | null;
  error: string | null;
  outcome: Outcome;
  nextAttemptAt: Date | null;
  payload: unknown;
  requestHeaders: Record<string, string> | null;
}

const STATUS_AFTER: Record<Outcome, DeliveryRow['status']> = {
  delivered: 'DELIVERED',
  retry: 'PENDING',
  failed: 'FAILED',
  dead: 'DEAD',
};

/**
 * Records attempts, moves their deliveries on and queues the retries: one statement for every
 * attempt that finished in the same turn of the event loop.
 */
export function attemptRecorder(pool: Pool): (delivery: DeliveryRow, attempt: AttemptRecord) => Promise<void> {
  const record = createBatcher(async (items: { delivery: DeliveryRow; attempt: AttemptRecord }[]) => {
    const rows = items.map(({ delivery, attempt }) => ({
      delivery_id: delivery.id,
      attempt: attempt.attempt,
      started_at: attempt.startedAt,
      duration_ms: attempt.durationMs,
      http_status: attempt.httpStatus,
      response: attempt.response,
      error: attempt.error,
      outcome: attempt.outcome,
      status: STATUS_AFTER[attempt.outcome],
      next_attempt_at: attempt.nextAttemptAt,
      payload: attempt.payload ?? null,
      queue_name: queueNameFor(delivery),
      request_headers: attempt.requestHeaders,
    }));
    await pool.query(
      `with input as (
         select * from jsonb_to_recordset($1::jsonb) as r(
           delivery_id uuid, attempt int, started_at timestamptz, duration_ms int, http_status int, response text,
           error text, outcome text, status callback_delivery_status, next_attempt_at timestamptz, payload jsonb, queue_name text,
           request_headers jsonb)
       ), attempt as (
         insert into callback_attempt (delivery_id, attempt, started_at, duration_ms, http_status, response, error, outcome, request_headers)
         select delivery_id, attempt, started_at, duration_ms, http_status, response, error, outcome, request_headers from input
       ), moved as (
         update callback_delivery d
            set attempts = i.attempt, status = i.status, payload = i.payload,
                -- Woken while this attempt ran (or just before it read its payload, the second of margin):
                -- what it waited for is there now, so the retry goes at once.
                next_attempt_at = case when i.next_attempt_at is not null and d.woken_at >= i.started_at - interval '1 second'
                                       then now() else i.next_attempt_at end,
                completed_at = case when i.status = 'PENDING' then null else now() end, leased_until = null, woken_at = null
           from input i
          where d.id = i.delivery_id and d.status = 'PENDING'
         returning d.id, d.next_attempt_at, i.queue_name
       )
       select count(graphile_worker.add_job($2, json_build_object('id', id), queue_name => queue_name,
                                            run_at => next_attempt_at, job_key => id::text, max_attempts => $3))
         from moved where next_attempt_at is not null`,
      [JSON.stringify(rows), DELIVER_TASK, JOB_MAX_ATTEMPTS],
    );
    return items.map(() => undefined);
  });
  return (delivery, attempt) => record({ delivery, attempt });
}

/** Once an ordered delivery is through, its node's next event need not wait for its scheduled time. */
export async function wakeSuccessor(pool: Pool, delivery: DeliveryRow): Promise<void> {
  await pool.query(
    `select graphile_worker.add_job($4, json_build_object('id', id), queue_name => $5, job_key => id::text, max_attempts => $6)
       from (select id from callback_delivery
              where callback = $1 and node_id = $2 and seq > $3 and status = 'PENDING' order by seq limit 1) next`,
    [delivery.callback, delivery.node_id, delivery.seq, DELIVER_TASK, queueNameFor(delivery), JOB_MAX_ATTEMPTS],
  );
}

/**
 * Pending deliveries of these nodes' events go now. `woken_at` also reaches an attempt already in
 * flight, which read its payload before this transaction committed: its retry is then not delayed.
 */
export async function wakeDeliveries(tx: Tx, trigger: string, nodeIds: string[]): Promise<void> {
  await tx.$queryRaw`
    with woken as (
      update callback_delivery set woken_at = clock_timestamp(), next_attempt_at = now()
       where trigger = ${trigger} and node_id = any(${nodeIds}::text[]) and status = 'PENDING'
      returning id, callback, node_id, ordered
    )
    select count(graphile_worker.add_job(${DELIVER_TASK}, json_build_object('id', id),
              queue_name => case when ordered then 'callback:' || callback || ':' || node_id end,
              job_key => id::text, max_attempts => ${JOB_MAX_ATTEMPTS}::int))::int from woken`;
}

// Puts the deliveries `where` picks back in line with a fresh allowance of attempts, jobs queued by the same statement.
const redeliverWhere = (where: string) => `
  with reset as (
    update callback_delivery
       set status = 'PENDING', max_attempts = attempts + $1, next_attempt_at = now(), completed_at = null
     where ${where} returning id, callback, node_id, ordered
  )
  select graphile_worker.add_job('${DELIVER_TASK}', json_build_object('id', id),
           queue_name => case when ordered then 'callback:' || callback || ':' || node_id end,
           job_key => id::text, max_attempts => ${JOB_MAX_ATTEMPTS})
    from reset`;

/** Puts a finished delivery back in line with a fresh allowance of attempts. */
export async function redeliver(pool: Pool, id: string, extraAttempts: number): Promise<boolean> {
  const { rowCount } = await pool.query(redeliverWhere('id = $2::uuid'), [extraAttempts, id]);
  return (rowCount ?? 0) > 0;
}

/** Which finished deliveries of one callback a bulk redelivery takes: by status and creation time. */
export interface RedeliveryFilter {
  callback: string;
  statuses: readonly ('FAILED' | 'DEAD')[];
  createdAfter: Date | null;
  createdBefore: Date | null;
}

// The filter's four parameters, numbered from `first` on.
const matching = (first: number) => `callback = $${first} and status::text = any($${first + 1}::text[])
  and ($${first + 2}::timestamptz is null or created_at >= $${first + 2})
  and ($${first + 3}::timestamptz is null or created_at < $${first + 3})`;
const filterParams = (filter: RedeliveryFilter) => [filter.callback, filter.statuses, filter.createdAfter, filter.createdBefore];

/** How many deliveries a bulk redelivery with this filter would send again: shown before it runs. */
export async function countRedeliverable(pool: Pool, filter: RedeliveryFilter): Promise<number> {
  const { rows } = await pool.query<{ count: number }>(
    `select count(*)::int as count from callback_delivery where ${matching(1)}`,
    filterParams(filter),
  );
  return rows[0]?.count ?? 0;
}

/** Redelivers every delivery the filter matches, in one statement; returns how many. */
export async function redeliverMatching(pool: Pool, filter: RedeliveryFilter, extraAttempts: number): Promise<number> {
  const { rowCount } = await pool.query(redeliverWhere(matching(2)), [extraAttempts, ...filterParams(filter)]);
  return rowCount ?? 0;
}

/**
 * A fresh delivery of one callback for an existing node, queued now (a manual trigger): no changed
 * fields, no previous values. Returns its id, or null when the node does not exist.
 */
export async function insertManualDelivery(
  pool: Pool,
  delivery: { callback: string; trigger: string; model: string; nodeId: string; maxAttempts: number; ordered: boolean },
): Promise<string | null> {
  // The model comes from a validated trigger (MODELS), never from the caller, so it may name the table.
  const { rows } = await pool.query<{ id: string }>(
    `with new_delivery as (
       insert into callback_delivery (callback, trigger, node_id, changed_fields, max_attempts, ordered)
       select $1, $2, id, '{}', $4, $5 from "${delivery.model}" where id = $3
       returning id, callback, node_id, ordered
     )
     select id, graphile_worker.add_job($6, json_build_object('id', id),
              queue_name => case when ordered then 'callback:' || callback || ':' || node_id end,
              job_key => id::text, max_attempts => $7)
       from new_delivery`,
    [delivery.callback, delivery.trigger, delivery.nodeId, delivery.maxAttempts, delivery.ordered, DELIVER_TASK, JOB_MAX_ATTEMPTS],
  );
  return rows[0]?.id ?? null;
}

/** Enabling a callback sends what waited while it was off, straight away. */
export async function setCallbackEnabled(pool: Pool, name: string, enabled: boolean): Promise<void> {
  await pool.query(
    `with setting as (
       insert into callback_setting (name, enabled, updated_at) values ($1, $2, now())
       on conflict (name) do update set enabled = excluded.enabled, updated_at = now()
     )
     select graphile_worker.add_job($3, json_build_object('id', id),
              queue_name => case when ordered then 'callback:' || callback || ':' || node_id end,
              job_key => id::text, max_attempts => $4)
       from callback_delivery where $2 and callback = $1 and status = 'PENDING'`,
    [name, enabled, DELIVER_TASK, JOB_MAX_ATTEMPTS],
  );
}

/**
 * The last safety net: a PENDING delivery long overdue, not being attempted, and with no job left
 * that will run (its job failed permanently inside graphile-worker while the database was away, say)
 * gets a job again. graphile-worker's public `jobs` view has no payload, and a delivery's first job
 * has no key, so this one statement reads its `_private_jobs` table (pinned: graphile-worker ~0.17).
 */
export async function requeueForgottenDeliveries(pool: Pool, overdueMs: number): Promise<number> {
  const { rows } = await pool.query<{ requeued: number }>(
    `select count(graphile_worker.add_job($1, json_build_object('id', id),
              queue_name => case when ordered then 'callback:' || callback || ':' || node_id end,
              job_key => id::text, max_attempts => $2))::int as requeued
       from callback_delivery
      where status = 'PENDING'
        and coalesce(next_attempt_at, created_at) < now() - make_interval(secs => $3::float8 / 1000)
        and (leased_until is null or leased_until < now())
        and not exists (select 1 from graphile_worker._private_jobs j
                         where j.payload->>'id' = callback_delivery.id::text and j.attempts < j.max_attempts)`,
    [DELIVER_TASK, JOB_MAX_ATTEMPTS, overdueMs],
  );
  return rows[0]?.requeued ?? 0;
}
