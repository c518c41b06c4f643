import pg from 'pg';

/** The callbacks of the generated history, with their share of the deliveries. */
export const HISTORY_CALLBACKS = [
  { name: 'onPurchase', trigger: 'Purchase.created', share: 0.35 },
  { name: 'chargeCustomer', trigger: 'Purchase.created', share: 0.25 },
  { name: 'createCustomer', trigger: 'User.created', share: 0.15 },
  { name: 'ledger', trigger: 'Purchase.updated', share: 0.15 },
  { name: 'inOrder', trigger: 'Purchase.updated', share: 0.09 },
  { name: 'deadAlert', trigger: 'CallbackDelivery.dead', share: 0.01 },
] as const;

/** Delivered deliveries span this many days (retention keeps 30: the oldest fifth is due for the sweep). */
export const DELIVERED_SPAN_DAYS = 37;
/** Failed and dead ones span this many (kept 90). */
export const DEAD_SPAN_DAYS = 100;
const CHUNK = 500_000;

// The callback of row i, by a hash of i: each callback's share of the history.
const pickCallback = (field: 'name' | 'trigger') => {
  let upto = 0;
  const arms = HISTORY_CALLBACKS.map(
    (c) => `when (hashint8(i) & 65535) < ${Math.round((upto += c.share) * 65536)} then '${c[field]}'`,
  );
  return `case ${arms.join(' ')} else '${HISTORY_CALLBACKS[0][field]}' end`;
};

// One chunk of deliveries, rows $1..$2 of $3: a history in commit order (seq and created_at grow
// together), 96.5% delivered (one in ten after a failed attempt), 1% failed, 2.5% dead, and the
// newest 0.02% pending; nodes repeat (several events per purchase).
const INSERT_CHUNK = `
  insert into callback_delivery (seq, callback, trigger, node_id, changed_fields, ordered, status, attempts,
                                 max_attempts, payload, created_at, completed_at)
  select i, c.name, c.trigger, 'node-' || (i / 3), '{status}', c.name = 'inOrder', st.status,
         case st.status when 'PENDING' then 0 when 'DEAD' then 8 when 'FAILED' then 1
                        else case when i % 10 = 0 then 2 else 1 end end,
         8, jsonb_build_object('data', jsonb_build_object('node', jsonb_build_object('id', 'node-' || (i / 3), 'amount', i % 5000, 'status', 'PAID'))),
         t.created_at, case when st.status <> 'PENDING' then t.created_at + interval '2 seconds' end
    from generate_series($1::bigint, $2::bigint) as i
    cross join lateral (select ${pickCallback('name')} as name, ${pickCallback('trigger')} as trigger) c
    cross join lateral (select case when i > $3 * 0.9998 then 'PENDING'
                                    when (hashint8(i * 7) & 1023) < 10 then 'FAILED'
                                    when (hashint8(i * 7) & 1023) < 36 then 'DEAD'
                                    else 'DELIVERED' end::callback_delivery_status as status) st
    cross join lateral (select now() - make_interval(secs => (1 - i::float8 / $3) * 86400 *
                          (case when st.status in ('FAILED', 'DEAD') then ${DEAD_SPAN_DAYS} else ${DELIVERED_SPAN_DAYS} end)) as created_at) t`;

// Every finished delivery's attempts: the failed ones before the last, then the last.
const INSERT_ATTEMPTS = `
  insert into callback_attempt (delivery_id, attempt, started_at, duration_ms, http_status, response, error, outcome)
  select d.id, n, d.created_at + make_interval(secs => n), 40 + (d.seq % 200),
         case when d.status = 'DELIVERED' and n = d.attempts then 200 when d.seq % 3 = 0 then null else 503 end,
         case when d.status = 'DELIVERED' and n = d.attempts then 'ok' when d.seq % 3 = 0 then null else 'upstream unavailable' end,
         case when not (d.status = 'DELIVERED' and n = d.attempts) and d.seq % 3 = 0 then 'connect ECONNREFUSED' end,
         case when d.status = 'DELIVERED' and n = d.attempts then 'delivered'
              when d.status = 'FAILED' then 'failed' when d.status = 'DEAD' and n = d.attempts then 'dead' else 'retry' end
    from callback_delivery d cross join lateral generate_series(1, d.attempts) as n`;

const LAST_ERRORS = `
  insert into callback_last_error (callback, message, at)
  select distinct on (d.callback) d.callback, coalesce(a.error, 'HTTP ' || a.http_status || coalesce(': ' || left(a.response, 200), '')), a.started_at
    from callback_attempt a join callback_delivery d on d.id = a.delivery_id
   where a.outcome <> 'delivered' order by d.callback, a.started_at desc`;

/** Loads `size` deliveries and their attempts into the database at `url`, in chunks; returns the seconds it took. */
export async function loadHistory(url: string, size: number, log: (line: string) => void): Promise<number> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('set synchronous_commit = off');
    // Secondary indexes are built once at the end (far quicker than row by row), as a restore does.
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `select indexname as name, indexdef as definition from pg_indexes
        where tablename in ('callback_delivery', 'callback_attempt') and indexname not like '%_pkey'`,
    );
    for (const { name } of indexes) await client.query(`drop index ${name}`);
    for (let first = 1; first <= size; first += CHUNK) {
      const last = Math.min(size, first + CHUNK - 1);
      // The count trigger runs here, as on every insert.
      await client.query(INSERT_CHUNK, [first, last, size]);
      log(`  loaded ${last.toLocaleString('en')} of ${size.toLocaleString('en')} deliveries`);
    }
    // Attempts without their row-by-row foreign-key check; the last errors are then filled in as the migration does.
    await client.query('set session_replication_role = replica');
    await client.query(INSERT_ATTEMPTS);
    await client.query('set session_replication_role = default');
    log('  loaded their attempts');
    await client.query(LAST_ERRORS);
    for (const { definition } of indexes) await client.query(definition);
    // New deliveries continue the history's sequence.
    await client.query(`select setval(pg_get_serial_sequence('callback_delivery', 'seq'), $1)`, [size]);
    await client.query('vacuum analyze callback_delivery');
    await client.query('vacuum analyze callback_attempt');
    await client.query('vacuum analyze callback_delivery_count');
  } finally {
    await client.end();
  }
  return (performance.now() - started) / 1000;
}
