import type { Pool } from 'pg';
import type { Queryable } from '../../db/queryable.js';

export interface CallbackStats {
  counts: { pending: number; delivered: number; failed: number; dead: number };
  /** Failed and dead among finished deliveries, 0..1; null when none has finished. */
  failureRate: number | null;
  lastError: { message: string; at: Date } | null;
}

/** Per callback, over the deliveries still kept: counts by status, failure rate, the newest failed attempt. */
export async function callbackStats(db: Queryable): Promise<Map<string, CallbackStats>> {
  const [counts, errors] = await Promise.all([
    db.query<{ callback: string; pending: number; delivered: number; failed: number; dead: number }>(
      `select callback,
              count(*) filter (where status = 'PENDING')::int as pending,
              count(*) filter (where status = 'DELIVERED')::int as delivered,
              count(*) filter (where status = 'FAILED')::int as failed,
              count(*) filter (where status = 'DEAD')::int as dead
         from callback_delivery group by callback`,
    ),
    db.query<{ callback: string; message: string; at: Date }>(
      `select distinct on (d.callback) d.callback, a.started_at as at,
              coalesce(a.error, 'HTTP ' || a.http_status || coalesce(': ' || left(a.response, 200), '')) as message
         from callback_attempt a join callback_delivery d on d.id = a.delivery_id
        where a.outcome <> 'delivered' and a.outcome <> 'waiting' order by d.callback, a.started_at desc`,
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
      order by seq desc limit $4`,
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
