import type { Pool, QueryResult, QueryResultRow } from 'pg';

// PostgreSQL's deadlock_detected: it aborted this statement (and only it) to break a lock cycle.
const DEADLOCK = '40P01';
const TRIES = 3;

/**
 * One statement, run again if PostgreSQL chose it to break a deadlock. The worker's statements that
 * move deliveries also queue graphile-worker jobs by key, and graphile-worker locks those job rows in
 * its own batches: now and then the two meet in opposite orders. The aborted statement left nothing
 * behind, so running it again is safe; failing instead cost a delivery its lease (45 s by default).
 */
export async function queryRetryingDeadlocks<Row extends QueryResultRow>(
  pool: Pool,
  text: string,
  values: unknown[],
): Promise<QueryResult<Row>> {
  for (let tried = 1; ; tried++) {
    try {
      return await pool.query<Row>(text, values);
    } catch (error) {
      if ((error as { code?: string }).code !== DEADLOCK || tried >= TRIES) throw error;
    }
  }
}
