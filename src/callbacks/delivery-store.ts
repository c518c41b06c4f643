import type { Pool } from 'pg';
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

export async function loadDelivery(pool: Pool, id: string): Promise<DeliveryRow | undefined> {
  const { rows } = await pool.query<DeliveryRow>(
    `select d.id, d.seq::text, d.callback, d.trigger, d.node_id, d.changed_fields, d.previous_values, d.status,
            d.attempts, d.max_attempts, d.ordered, d.created_at,
            (select s.enabled from callback_setting s where s.name = d.callback) as enabled_override
       from callback_delivery d where d.id = $1`,
    [id],
  );
  return rows[0];
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

export async function scheduleDelivery(pool: Pool, delivery: DeliveryRow, runAt: Date): Promise<void> {
  await pool.query(
    `select graphile_worker.add_job($1, json_build_object('id', $2::text), queue_name => $3, run_at => $4,
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
}

const STATUS_AFTER: Record<Outcome, DeliveryRow['status']> = {
  delivered: 'DELIVERED',
  retry: 'PENDING',
  failed: 'FAILED',
  dead: 'DEAD',
};

/** Records the attempt, moves the delivery on, and queues the retry, in one statement. */
export async function recordAttempt(pool: Pool, delivery: DeliveryRow, attempt: AttemptRecord): Promise<void> {
  await pool.query(
    `with attempt as (
       insert into callback_attempt (delivery_id, attempt, started_at, duration_ms, http_status, response, error, outcome)
       values ($1, $2, $3, $4, $5, $6, $7, $8)
     ), moved as (
       update callback_delivery
          set attempts = $2, status = $9::callback_delivery_status, next_attempt_at = $10, payload = $11::jsonb,
              completed_at = case when $9 = 'PENDING' then null else now() end
        where id = $1 and status = 'PENDING'
        returning id
     )
     select graphile_worker.add_job($12, json_build_object('id', id), queue_name => $13, run_at => $10,
                                    job_key => id::text, max_attempts => $14)
       from moved where $10::timestamptz is not null`,
    [
      delivery.id,
      attempt.attempt,
      attempt.startedAt,
      attempt.durationMs,
      attempt.httpStatus,
      attempt.response,
      attempt.error,
      attempt.outcome,
      STATUS_AFTER[attempt.outcome],
      attempt.nextAttemptAt,
      JSON.stringify(attempt.payload ?? null),
      DELIVER_TASK,
      queueNameFor(delivery),
      JOB_MAX_ATTEMPTS,
    ],
  );
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

/** Puts a finished delivery back in line with a fresh allowance of attempts. */
export async function redeliver(pool: Pool, id: string, extraAttempts: number): Promise<boolean> {
  const { rowCount } = await pool.query(
    `with reset as (
       update callback_delivery
          set status = 'PENDING', max_attempts = attempts + $2, next_attempt_at = now(), completed_at = null
        where id = $1 returning id, callback, node_id, ordered
     )
     select graphile_worker.add_job($3, json_build_object('id', id),
              queue_name => case when ordered then 'callback:' || callback || ':' || node_id end,
              job_key => id::text, max_attempts => $4)
       from reset`,
    [id, extraAttempts, DELIVER_TASK, JOB_MAX_ATTEMPTS],
  );
  return (rowCount ?? 0) > 0;
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
