import type { Pool } from 'pg';

// One batch: the oldest finished deliveries past their retention, one status at a time along the
// (status, completed_at) index, so a batch reads about as many entries as it deletes however long the
// history is, and a sweep with nothing to do costs three index probes. SKIP LOCKED leaves a row another
// sweeper (or a redelivery) holds to them; attempts go with their delivery (ON DELETE CASCADE).
const expired = (status: string, days: string) => `
  select id from callback_delivery
   where status = '${status}' and completed_at < now() - make_interval(days => ${days})
   order by completed_at limit $3 for update skip locked`;
const DELETE_BATCH = `
  with delivered as (${expired('DELIVERED', '$1')}), failed as (${expired('FAILED', '$2')}), dead as (${expired('DEAD', '$2')})
  delete from callback_delivery where id in (
    select id from (select id from delivered union all select id from failed union all select id from dead) due limit $3)`;

/** Deletes up to `batchSize` finished deliveries past their retention; returns how many went. */
export async function deleteExpiredBatch(
  pool: Pool,
  policy: { deliveredDays: number; deadDays: number; batchSize: number },
): Promise<number> {
  const { rowCount } = await pool.query(DELETE_BATCH, [policy.deliveredDays, policy.deadDays, policy.batchSize]);
  return rowCount ?? 0;
}
