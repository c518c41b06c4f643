import type { Pool } from 'pg';

export interface CallbackStats {
  counts: { pending: number; delivered: number; failed: number; dead: number };
  /** Failed and dead among finished deliveries, 0..1; null when none has finished. */
  failureRate: number | null;
  lastError: { message: string; at: Date } | null;
}

/** Per callback, over the deliveries still kept: counts by status, failure rate, the newest failed attempt. */
export async function callbackStats(pool: Pool): Promise<Map<string, CallbackStats>> {
  const [counts, errors] = await Promise.all([
    pool.query<{ callback: string; pending: number; delivered: number; failed: number; dead: number }>(
      `select callback,
              count(*) filter (where status = 'PENDING')::int as pending,
              count(*) filter (where status = 'DELIVERED')::int as delivered,
              count(*) filter (where status = 'FAILED')::int as failed,
              count(*) filter (where status = 'DEAD')::int as dead
         from callback_delivery group by callback`,
    ),
    pool.query<{ callback: string; message: string; at: Date }>(
      `select distinct on (d.callback) d.callback, a.started_at as at,
              coalesce(a.error, 'HTTP ' || a.http_status || coalesce(': ' || left(a.response, 200), '')) as message
         from callback_attempt a join callback_delivery d on d.id = a.delivery_id
        where a.outcome <> 'delivered' order by d.callback, a.started_at desc`,
    ),
  ]);
  const lastErrors = new Map(errors.rows.map((row) => [row.callback, { message: row.message, at: row.at }]));
  return new Map(
    counts.rows.map(({ callback, ...count }) => {
      const finished = count.delivered + count.failed + count.dead;
      const failureRate = finished === 0 ? null : (count.failed + count.dead) / finished;
      return [callback, { counts: count, failureRate, lastError: lastErrors.get(callback) ?? null }];
    }),
  );
}

export const NO_DELIVERIES: CallbackStats = { counts: { pending: 0, delivered: 0, failed: 0, dead: 0 }, failureRate: null, lastError: null };
