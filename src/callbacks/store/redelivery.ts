import type { Queryable } from '../../db/queryable.js';
import { queueJobFor } from './delivery-job.js';

// Puts the deliveries `where` picks back in line with a fresh allowance of attempts ($1), jobs queued by the same statement.
const redeliverWhere = (where: string) => `
  with reset as (
    update callback_delivery
       set status = 'PENDING', max_attempts = attempts + $1, next_attempt_at = now(), completed_at = null
     where ${where} returning id, callback, node_id, ordered
  )
  select ${queueJobFor('reset')} from reset`;

/** The callback a delivery belongs to, or null when there is no such delivery. */
export async function deliveryCallback(db: Queryable, id: string): Promise<string | null> {
  const { rows } = await db.query<{ callback: string }>('select callback from callback_delivery where id::text = $1', [
    id,
  ]);
  return rows[0]?.callback ?? null;
}

/** Puts a finished delivery back in line with a fresh allowance of attempts. */
export async function redeliver(db: Queryable, id: string, extraAttempts: number): Promise<boolean> {
  const { rowCount } = await db.query(redeliverWhere('id = $2::uuid'), [extraAttempts, id]);
  return (rowCount ?? 0) > 0;
}

/** Which finished deliveries of one callback a bulk redelivery takes: by status and creation time. */
export interface RedeliveryFilter {
  callback: string;
  statuses: readonly ('FAILED' | 'DEAD')[];
  createdAfter: Date | null;
  createdBefore: Date | null;
}

// The filter's four parameters, numbered from `first` on. `status <> 'DELIVERED'` lets the planner take
// the partial index of live deliveries (a constant proves it; the statuses parameter cannot).
const matching = (first: number) => `callback = $${first} and status <> 'DELIVERED'
  and status = any($${first + 1}::callback_delivery_status[])
  and ($${first + 2}::timestamptz is null or created_at >= $${first + 2})
  and ($${first + 3}::timestamptz is null or created_at < $${first + 3})`;
const filterParams = (filter: RedeliveryFilter) => [
  filter.callback,
  filter.statuses,
  filter.createdAfter,
  filter.createdBefore,
];

/** How many deliveries a bulk redelivery with this filter would send again: shown before it runs. */
export async function countRedeliverable(db: Queryable, filter: RedeliveryFilter): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    `select count(*)::int as count from callback_delivery where ${matching(1)}`,
    filterParams(filter),
  );
  return rows[0]?.count ?? 0;
}

/** Redelivers every delivery the filter matches, in one statement; returns how many. */
export async function redeliverMatching(
  db: Queryable,
  filter: RedeliveryFilter,
  extraAttempts: number,
): Promise<number> {
  const { rowCount } = await db.query(redeliverWhere(matching(2)), [extraAttempts, ...filterParams(filter)]);
  return rowCount ?? 0;
}
