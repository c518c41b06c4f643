import type { Queryable } from '../../db/queryable.js';

// The console's reads of the delivery history, written so that each is as fast at ten million
// deliveries as at ten thousand (docs/operating.md, "History size"): pages in keyset order on
// (created_at, id), which an index holds for every filter the console offers, and counts that stop at
// a bound instead of walking a range of millions.

export const STATUSES = ['PENDING', 'DELIVERED', 'FAILED', 'DEAD'] as const;
export type DeliveryStatus = (typeof STATUSES)[number];

export interface HistoryFilter {
  callback: string | null;
  status: DeliveryStatus | null;
  nodeId: string | null;
  createdAfter: Date | null;
  createdBefore: Date | null;
}

/** No filter: every delivery kept. */
export const ANY_DELIVERY: HistoryFilter = {
  callback: null,
  status: null,
  nodeId: null,
  createdAfter: null,
  createdBefore: null,
};

/** A count stops here: "at least this many" is all a person paging through a list needs beyond it. */
export const COUNT_BOUND = 10_000;

/**
 * The filter as SQL, parameters numbered from 1. The status is written as a literal (one of the enum's
 * labels, never user text): the planner proves `status <> 'DELIVERED'`, and so uses the small partial
 * indexes of live deliveries, only from a constant.
 */
function where(filter: HistoryFilter): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  if (filter.status !== null) {
    if (!STATUSES.includes(filter.status)) throw new Error(`Unknown delivery status ${filter.status}`);
    clauses.push(`status = '${filter.status}'`);
    if (filter.status !== 'DELIVERED') clauses.push(`status <> 'DELIVERED'`);
  }
  if (filter.callback !== null) clauses.push(`callback = ${param(filter.callback)}`);
  if (filter.nodeId !== null) clauses.push(`node_id = ${param(filter.nodeId)}`);
  if (filter.createdAfter !== null) clauses.push(`created_at >= ${param(filter.createdAfter)}::timestamptz`);
  if (filter.createdBefore !== null) clauses.push(`created_at < ${param(filter.createdBefore)}::timestamptz`);
  return { sql: clauses.length > 0 ? clauses.join(' and ') : 'true', params };
}

/** Where a page continues: the last delivery of the previous page, or null when there is none by that id. */
export async function historyCursor(db: Queryable, id: string): Promise<{ createdAt: Date; id: string } | null> {
  const { rows } = await db.query<{ created_at: Date; id: string }>(
    'select created_at, id from callback_delivery where id = $1::uuid',
    [id],
  );
  return rows[0] ? { createdAt: rows[0].created_at, id: rows[0].id } : null;
}

/**
 * The ids of one page, newest first. A cursor continues below its delivery's place in the order,
 * whether or not that delivery matches the filter.
 */
export async function historyPage(
  db: Queryable,
  filter: HistoryFilter,
  page: { after: { createdAt: Date; id: string } | null; take: number; skip: number },
): Promise<string[]> {
  const { sql, params } = where(filter);
  const below = page.after
    ? ` and (created_at, id) < ($${params.push(page.after.createdAt)}::timestamptz, $${params.push(page.after.id)}::uuid)`
    : '';
  const { rows } = await db.query<{ id: string }>(
    `select id from callback_delivery where ${sql}${below}
      order by created_at desc, id desc limit $${params.push(page.take)} offset $${params.push(page.skip)}`,
    params,
  );
  return rows.map((row) => row.id);
}

/** How many deliveries match, counted up to COUNT_BOUND (which then means "at least"). */
export async function countHistory(db: Queryable, filter: HistoryFilter): Promise<number> {
  const { sql, params } = where(filter);
  const { rows } = await db.query<{ count: number }>(
    `select count(*)::int as count from (select 1 from callback_delivery where ${sql} limit ${COUNT_BOUND}) bounded`,
    params,
  );
  return rows[0]?.count ?? 0;
}
