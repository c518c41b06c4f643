import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollUpDeliveryCounts } from '../src/callbacks/store/delivery-counts.js';
import {
  ANY_DELIVERY,
  countHistory,
  historyCursor,
  historyPage,
  type HistoryFilter,
} from '../src/callbacks/store/delivery-history.js';
import { deleteExpiredBatch } from '../src/callbacks/store/expired.js';
import { callbackStats } from '../src/callbacks/store/reports.js';
import { createTestDatabase } from './support/database.js';

// The delivery history's reads and housekeeping on a database of their own, filled by SQL (tens of
// thousands of rows in a second): what an operator sees must stay exact while it stays fast.

// `count` deliveries of `callback` with `status`, created `days` ago (completed two seconds later unless pending).
const INSERT = `
  insert into callback_delivery (callback, trigger, node_id, changed_fields, max_attempts, status, attempts, created_at, completed_at)
  select $1, 'Purchase.created', $5 || i, '{}', 8, $2::callback_delivery_status, 1,
         now() - make_interval(days => $3) + make_interval(secs => i),
         case when $2 <> 'PENDING' then now() - make_interval(days => $3) + make_interval(secs => i + 2) end
    from generate_series(1, $4::int) as i`;

describe('callbacks: the delivery history at scale', { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 3 });
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  const add = (callback: string, status: string, days: number, count: number, node = `${callback}-${status}-`) =>
    pool.query(INSERT, [callback, status, days, count, node]);
  const exactCounts = async (callback: string) =>
    Object.fromEntries(
      (
        await pool.query<{ status: string; n: number }>(
          'select status::text as status, count(*)::int as n from callback_delivery where callback = $1 group by status',
          [callback],
        )
      ).rows.map((row) => [row.status.toLowerCase(), row.n]),
    );

  it('the retention sweep deletes 50,000 rows in bounded batches and leaves every live delivery', async () => {
    await add('swept', 'DELIVERED', 40, 45_000);
    await add('swept', 'DEAD', 100, 1_000);
    await add('swept', 'DELIVERED', 5, 2_000);
    await add('swept', 'DEAD', 40, 1_000);
    await add('swept', 'FAILED', 40, 500);
    await add('swept', 'PENDING', 40, 500);
    const policy = { deliveredDays: 30, deadDays: 90, batchSize: 2_000 };
    const batches: number[] = [];
    for (let batch = -1; batch !== 0; batches.push(batch)) batch = await deleteExpiredBatch(pool, policy);
    expect(Math.max(...batches)).toBe(policy.batchSize);
    expect(batches.reduce((sum, n) => sum + n, 0)).toBe(46_000);
    // Kept: recent delivered ones, failed and dead ones within their longer retention, every pending one.
    expect(await exactCounts('swept')).toEqual({ delivered: 2_000, dead: 1_000, failed: 500, pending: 500 });
    // The counts the console shows followed every delete, before and after the sweep's roll-up.
    const shown = async () => (await callbackStats(pool)).get('swept')!.counts;
    expect(await shown()).toEqual({ delivered: 2_000, dead: 1_000, failed: 500, pending: 500 });
    await rollUpDeliveryCounts(pool);
    expect(await shown()).toEqual({ delivered: 2_000, dead: 1_000, failed: 500, pending: 500 });
  });

  it('counts and the last error follow inserts, status changes, redeliveries and deletes', async () => {
    await add('counted', 'PENDING', 1, 300);
    await pool.query(
      `update callback_delivery set status = 'DELIVERED' where callback = 'counted' and node_id like '%1'`,
    );
    await pool.query(`update callback_delivery set status = 'DEAD' where callback = 'counted' and node_id like '%2'`);
    await rollUpDeliveryCounts(pool);
    await pool.query(`update callback_delivery set status = 'PENDING' where callback = 'counted' and status = 'DEAD'`);
    await pool.query(`delete from callback_delivery where callback = 'counted' and node_id like '%3'`);
    const stats = (await callbackStats(pool)).get('counted')!;
    expect(stats.counts).toEqual({ dead: 0, failed: 0, ...(await exactCounts('counted')) });
    expect(stats.failureRate).toBe(0);

    const { rows } = await pool.query<{ id: string }>(
      `select id from callback_delivery where callback = 'counted' limit 2`,
    );
    const attempt = `insert into callback_attempt (delivery_id, attempt, started_at, duration_ms, http_status, response, error, outcome)
                     values ($1, 1, $2, 10, $3, $4, $5, $6)`;
    await pool.query(attempt, [rows[0]!.id, new Date(Date.now() - 60_000), 503, 'busy', null, 'retry']);
    await pool.query(attempt, [
      rows[1]!.id,
      new Date(Date.now() - 120_000),
      null,
      null,
      'connect ECONNREFUSED',
      'retry',
    ]);
    await pool.query(attempt, [rows[1]!.id, new Date(), 200, 'ok', null, 'delivered']);
    // The newest failed attempt, whichever order the attempts were recorded in.
    expect((await callbackStats(pool)).get('counted')!.lastError?.message).toBe('HTTP 503: busy');
  });

  it('pages newest first by (createdAt, id): a cursor through ties loses and repeats no delivery, under every filter', async () => {
    // Deliveries of one transaction share a creation time: only the id orders them.
    await pool.query(
      `insert into callback_delivery (callback, trigger, node_id, changed_fields, max_attempts, status, created_at)
       select 'paged', 'Purchase.created', 'paged-node', '{}', 8, case when i % 3 = 0 then 'DEAD' else 'PENDING' end::callback_delivery_status,
              now() - make_interval(secs => i / 4) from generate_series(1, 37) as i`,
    );
    const filters: Partial<HistoryFilter>[] = [
      { callback: 'paged' },
      { callback: 'paged', status: 'DEAD' },
      { nodeId: 'paged-node', createdAfter: new Date(Date.now() - 5_000) },
    ];
    for (const partial of filters) {
      const filter = { ...ANY_DELIVERY, ...partial };
      const expected = (
        await pool.query<{ id: string }>(
          `select id from callback_delivery where callback = 'paged' and ($1::text is null or status::text = $1)
              and ($2::timestamptz is null or created_at >= $2) order by created_at desc, id desc`,
          [filter.status, filter.createdAfter],
        )
      ).rows.map((row) => row.id);
      const seen: string[] = [];
      for (let after = null; ;) {
        const ids = await historyPage(pool, filter, { after, take: 4, skip: 0 });
        if (ids.length === 0) break;
        seen.push(...ids);
        after = await historyCursor(pool, ids.at(-1)!);
      }
      expect(seen, JSON.stringify(partial)).toEqual(expected);
      expect(await countHistory(pool, filter)).toBe(expected.length);
    }
  });

  it('a count stops at its bound: "at least 10,000", read without walking the whole history', async () => {
    await add('bounded', 'DELIVERED', 2, 12_000);
    expect(await countHistory(pool, { ...ANY_DELIVERY, callback: 'bounded' })).toBe(10_000);
    expect(await countHistory(pool, { ...ANY_DELIVERY, callback: 'bounded', status: 'DEAD' })).toBe(0);
  });
});
