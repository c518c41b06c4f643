import type { Pool } from 'pg';
import type { Queryable } from '../../db/queryable.js';
import { deliveryCounts } from './delivery-counts.js';

export interface CallbackStats {
  counts: { pending: number; delivered: number; failed: number; dead: number };
  /** Failed and dead among finished deliveries, 0..1; null when none has finished. */
  failureRate: number | null;
  lastError: { message: string; at: Date } | null;
}

/**
 * Per callback, over the deliveries still kept: counts by status (kept by triggers, see
 * delivery-counts.ts), failure rate, and the newest failed attempt (kept by a trigger on
 * callback_attempt, so it outlives the retention of its delivery).
 */
export async function callbackStats(db: Queryable): Promise<Map<string, CallbackStats>> {
  const [counts, errors] = await Promise.all([
    deliveryCounts(db),
    db.query<{ callback: string; message: string; at: Date }>('select callback, message, at from callback_last_error'),
  ]);
  const stats = new Map<string, CallbackStats>();
  const statsOf = (callback: string) => {
    let entry = stats.get(callback);
    if (!entry) stats.set(callback, (entry = { ...NO_DELIVERIES, counts: { ...NO_DELIVERIES.counts } }));
    return entry;
  };
  for (const { callback, status, count } of counts) {
    const key = status.toLowerCase();
    if (key in NO_DELIVERIES.counts) statsOf(callback).counts[key as keyof CallbackStats['counts']] = count;
  }
  for (const { callback, message, at } of errors.rows) statsOf(callback).lastError = { message, at };
  for (const entry of stats.values()) {
    const { delivered, failed, dead } = entry.counts;
    const finished = delivered + failed + dead;
    entry.failureRate = finished === 0 ? null : (failed + dead) / finished;
  }
  return stats;
}

export const NO_DELIVERIES: CallbackStats = {
  counts: { pending: 0, delivered: 0, failed: 0, dead: 0 },
  failureRate: null,
  lastError: null,
};

/** The number of deliveries waiting and the age of the oldest, for the queue gauges. */
export async function pendingSummary(pool: Pool): Promise<{ depth: number; oldestSeconds: number }> {
  const { rows } = await pool.query<{ depth: string; oldest_seconds: number | null }>(
    `select count(*)::text as depth, extract(epoch from now() - min(created_at))::float8 as oldest_seconds
       from callback_delivery where status = 'PENDING'`,
  );
  return { depth: Number(rows[0]?.depth ?? 0), oldestSeconds: rows[0]?.oldest_seconds ?? 0 };
}

/** Newest first, for `npm run callbacks -- list`. */
export async function listDeliveries(
  pool: Pool,
  filter: { status: string | null; callback: string | null; nodeId: string | null; limit: number },
): Promise<Record<string, unknown>[]> {
  const { rows } = await pool.query(
    `select id, callback, trigger, node_id, status, attempts, created_at, next_attempt_at
       from callback_delivery
      where ($1::text is null or status::text = upper($1)) and ($2::text is null or callback = $2)
        and ($3::text is null or node_id = $3)
      order by created_at desc, id desc limit $4`,
    [filter.status, filter.callback, filter.nodeId, filter.limit],
  );
  return rows;
}

/** One delivery and its attempts (responses cut to 200 characters), for `npm run callbacks -- show`. */
export async function deliveryWithAttempts(
  pool: Pool,
  id: string,
): Promise<{ delivery: Record<string, unknown>; attempts: Record<string, unknown>[] } | null> {
  const { rows } = await pool.query('select * from callback_delivery where id::text = $1', [id]);
  if (!rows[0]) return null;
  const attempts = await pool.query(
    `select attempt, started_at, duration_ms, http_status, outcome, error, left(response, 200) as response
       from callback_attempt where delivery_id = $1 order by attempt`,
    [id],
  );
  return { delivery: rows[0], attempts: attempts.rows };
}
