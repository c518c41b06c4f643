import type { Pool } from 'pg';
import { queryRetryingDeadlocks } from '../../db/retry-on-deadlock.js';
import { createBatcher } from '../batcher.js';
import type { Outcome } from '../retry-policy.js';
import { PENDING_BY_ID, type DeliveryRow } from './claims.js';
import { queueJobFor } from './delivery-job.js';

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
  waiting: 'PENDING',
};

const RECORD_ATTEMPTS = `
  with input as (
    select * from jsonb_to_recordset($1::jsonb) as r(
      delivery_id uuid, attempt int, started_at timestamptz, duration_ms int, http_status int, response text,
      error text, outcome text, status callback_delivery_status, next_attempt_at timestamptz, payload jsonb,
      request_headers jsonb)
  ), attempt as (
    insert into callback_attempt (delivery_id, attempt, started_at, duration_ms, http_status, response, error, outcome, request_headers)
    select delivery_id, attempt, started_at, duration_ms, http_status, response, error, outcome, request_headers from input
  ), moved as (
    update callback_delivery d
       set attempts = i.attempt, status = i.status, payload = i.payload,
           -- A waiting answer spends no attempt: it is parked until woken, never retried towards DEAD.
           max_attempts = d.max_attempts + (i.outcome = 'waiting')::int,
           -- Woken while this attempt ran (or just before it read its payload, the second of margin):
           -- what it waited for is there now, so the retry goes at once.
           next_attempt_at = case when i.next_attempt_at is not null and d.woken_at >= i.started_at - interval '1 second'
                                  then now() else i.next_attempt_at end,
           completed_at = case when i.status = 'PENDING' then null else now() end, leased_until = null, woken_at = null
      from input i
     -- The ids again as an array: joined to the input alone, the planner scans the whole table.
     where d.id = any($2::uuid[]) and d.id = i.delivery_id and ${PENDING_BY_ID}
    returning d.id, d.callback, d.node_id, d.ordered, d.next_attempt_at
  )
  select count(${queueJobFor('moved', 'moved.next_attempt_at')}) from moved where next_attempt_at is not null`;

/**
 * Records attempts, moves their deliveries on and queues the retries: one statement for every
 * attempt that finished in the same turn of the event loop.
 */
export function attemptRecorder(pool: Pool): (delivery: DeliveryRow, attempt: AttemptRecord) => Promise<void> {
  const record = createBatcher(async (items: { delivery: DeliveryRow; attempt: AttemptRecord }[]) => {
    // In id order: two batches moving the same deliveries lock them in the same order.
    const sorted = [...items].sort((a, b) =>
      a.delivery.id < b.delivery.id ? -1 : a.delivery.id > b.delivery.id ? 1 : 0,
    );
    const rows = sorted.map(({ delivery, attempt }) => ({
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
      request_headers: attempt.requestHeaders,
    }));
    await queryRetryingDeadlocks(pool, RECORD_ATTEMPTS, [JSON.stringify(rows), rows.map((row) => row.delivery_id)]);
    return items.map(() => undefined);
  });
  return (delivery, attempt) => record({ delivery, attempt });
}
