import type { Pool } from 'pg';
import type { Queryable } from '../../db/queryable.js';

// callback_delivery_count holds changes appended by triggers on callback_delivery (the migration
// 20261207162920_delivery_history): a row per inserting or deleting statement and status, two per
// status change. No writer waits for another, and a read sums what the last roll-up left plus the
// changes since; the worker's retention sweep rolls them up, so a read stays as cheap at ten million
// deliveries as at ten thousand.

/** Per callback and status, the deliveries kept. */
export async function deliveryCounts(db: Queryable): Promise<{ callback: string; status: string; count: number }[]> {
  const { rows } = await db.query<{ callback: string; status: string; count: number }>(
    `select callback, status::text as status, sum(deliveries)::int as count
       from callback_delivery_count group by callback, status having sum(deliveries) <> 0`,
  );
  return rows;
}

/** Replaces the appended changes with one row per callback and status; returns how many rows went. */
export async function rollUpDeliveryCounts(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ rolled: number }>(
    `with taken as (delete from callback_delivery_count returning callback, status, deliveries),
          summed as (insert into callback_delivery_count (callback, status, deliveries)
                     select callback, status, sum(deliveries) from taken group by callback, status
                     having sum(deliveries) <> 0)
     select count(*)::int as rolled from taken`,
  );
  return rows[0]?.rolled ?? 0;
}
