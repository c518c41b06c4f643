import type { Pool } from 'pg';

// One batch: the oldest finished deliveries past their retention. SKIP LOCKED leaves a row another
// sweeper (or a redelivery) holds to them; attempts go with their delivery (ON DELETE CASCADE).
const DELETE_BATCH = `
  delete from callback_delivery where id in (
    select id from callback_delivery
     where (status = 'DELIVERED' and completed_at < now() - make_interval(days => $1))
        or (status in ('FAILED', 'DEAD') and completed_at < now() - make_interval(days => $2))
     limit $3 for update skip locked)`;

/** Deletes up to `batchSize` finished deliveries past their retention; returns how many went. */
export async function deleteExpiredBatch(
  pool: Pool,
  policy: { deliveredDays: number; deadDays: number; batchSize: number },
): Promise<number> {
  const { rowCount } = await pool.query(DELETE_BATCH, [policy.deliveredDays, policy.deadDays, policy.batchSize]);
  return rowCount ?? 0;
}
