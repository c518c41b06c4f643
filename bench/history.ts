import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrations } from 'graphile-worker';
import pg from 'pg';
import { callbackConditions } from '../src/callbacks/store/callback-state.js';
import { claimNewDelivery } from '../src/callbacks/store/claims.js';
import { rollUpDeliveryCounts } from '../src/callbacks/store/delivery-counts.js';
import {
  ANY_DELIVERY,
  countHistory,
  historyCursor,
  historyPage,
  type HistoryFilter,
} from '../src/callbacks/store/delivery-history.js';
import { deleteExpiredBatch } from '../src/callbacks/store/expired.js';
import { countRedeliverable, redeliverMatching } from '../src/callbacks/store/redelivery.js';
import { callbackStats, pendingSummary } from '../src/callbacks/store/reports.js';
import { rootDir } from '../src/config.js';
import { percentile, round, startBenchPostgres } from './harness.js';
import { loadHistory } from './history-load.js';

// `npm run bench:history -- [deliveries]`: every operator read and housekeeping statement on a history
// of 10,000 deliveries and on one of the size asked (default 1,000,000), in the same run on one
// embedded PostgreSQL of its own, p50 and p99 of each and their ratio; EXPLAIN (ANALYZE, BUFFERS) of each
// at the large size goes to bench/out/history-explain.txt.
const size = Number(process.argv[2] ?? 1_000_000);
const SMALL = 10_000;
const RUNS = Number(process.env.BENCH_HISTORY_RUNS ?? 40);
const DAY = 86_400_000;
const SWEEP_BATCH = 100;
// Bulk redelivery takes the 50 newest dead deliveries of a callback before 40 days ago: the same set size at every history size.
const REDELIVERED = 50;

type Db = pg.Pool;
interface Statement {
  name: string;
  /** One run; `i` varies the parameters from run to run. */
  run(db: Db, i: number): Promise<unknown>;
}

const page = (filter: Partial<HistoryFilter>) => async (db: Db) => {
  const ids = await historyPage(db, { ...ANY_DELIVERY, ...filter }, { after: null, take: 50, skip: 0 });
  // What Prisma then reads for the page: the rows by id.
  await db.query('select * from callback_delivery where id = any($1::uuid[])', [ids]);
};
const callbackOf = (i: number) => ['onPurchase', 'chargeCustomer', 'createCustomer', 'ledger', 'inOrder'][i % 5]!;
const dayAgo = (days: number) => new Date(Date.now() - days * DAY);
// Samples drawn once per database: ids to continue pages from, dead deliveries to open, nodes to filter by.
const samples = new WeakMap<Db, { ids: string[]; dead: string[]; nodes: string[]; windows: Map<string, Date> }>();
const sample = (db: Db) => samples.get(db)!;

const STATEMENTS: Statement[] = [
  { name: 'deliveries page, no filter', run: page({}) },
  { name: 'deliveries page, callback', run: (db, i) => page({ callback: callbackOf(i) })(db) },
  { name: 'deliveries page, status DEAD', run: page({ status: 'DEAD' }) },
  { name: 'deliveries page, status PENDING', run: page({ status: 'PENDING' }) },
  { name: 'deliveries page, status DELIVERED', run: page({ status: 'DELIVERED' }) },
  {
    name: 'deliveries page, callback + FAILED',
    run: (db, i) => page({ callback: callbackOf(i), status: 'FAILED' })(db),
  },
  {
    name: 'deliveries page, node',
    run: (db, i) => page({ nodeId: sample(db).nodes[i % sample(db).nodes.length]! })(db),
  },
  {
    name: 'deliveries page, one day, callback',
    run: (db, i) => page({ callback: callbackOf(i), createdAfter: dayAgo(20), createdBefore: dayAgo(19) })(db),
  },
  {
    name: 'deliveries next page (cursor)',
    run: async (db, i) => {
      const after = await historyCursor(db, sample(db).ids[i % sample(db).ids.length]!);
      await historyPage(db, ANY_DELIVERY, { after, take: 50, skip: 0 });
    },
  },
  { name: 'deliveryCount, no filter (bounded)', run: (db) => countHistory(db, ANY_DELIVERY) },
  {
    name: 'deliveryCount, callback + DEAD',
    run: (db, i) => countHistory(db, { ...ANY_DELIVERY, callback: callbackOf(i), status: 'DEAD' }),
  },
  {
    name: 'deliveryCount, one day (bounded)',
    run: (db) => countHistory(db, { ...ANY_DELIVERY, createdAfter: dayAgo(20), createdBefore: dayAgo(19) }),
  },
  {
    name: 'callbacks { counts lastError failingSince }',
    run: (db) => Promise.all([callbackStats(db), callbackConditions(db)]),
  },
  {
    name: "a delivery's attempts",
    run: (db, i) =>
      db.query('select * from callback_attempt where delivery_id = $1 order by attempt', [
        sample(db).dead[i % sample(db).dead.length],
      ]),
  },
  { name: '/metrics queue gauges', run: (db) => pendingSummary(db) },
  {
    name: `bulk redelivery, count (${REDELIVERED} dead)`,
    run: (db, i) => countRedeliverable(db, redeliveryFilter(db, i)),
  },
  {
    name: `bulk redelivery of ${REDELIVERED} dead, rolled back`,
    run: (db, i) => rolledBack(db, (client) => redeliverMatching(client, redeliveryFilter(db, i), 8)),
  },
  { name: 'new delivery claim', run: (db) => claimFresh(db) },
  { name: 'count roll-up', run: (db) => rollUpDeliveryCounts(db) },
  {
    name: 'retention sweep, nothing due',
    run: (db) => deleteExpiredBatch(db, { deliveredDays: 3650, deadDays: 3650, batchSize: 500 }),
  },
  // Last: it deletes (committed), as the worker's sweep does; only full batches count (the small history runs out).
  {
    name: `retention sweep, batch of ${SWEEP_BATCH}`,
    run: async (db) =>
      (await deleteExpiredBatch(db, { deliveredDays: 30, deadDays: 90, batchSize: SWEEP_BATCH })) === SWEEP_BATCH,
  },
];

const redeliveryFilter = (db: Db, i: number) => ({
  callback: callbackOf(i),
  statuses: ['DEAD'] as const,
  createdAfter: sample(db).windows.get(callbackOf(i)) ?? null,
  createdBefore: dayAgo(40),
});

async function rolledBack<T>(db: Db, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('begin');
    return await work(client);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

// A delivery as the outbox writes it, then the dispatcher's claim of it (the part timed).
let claimStatement: (db: Db) => Promise<unknown> = async () => undefined;
async function claimFresh(db: Db) {
  const { rows } = await db.query<{ id: string }>(
    `insert into callback_delivery (callback, trigger, node_id, changed_fields, max_attempts)
     values ('onPurchase', 'Purchase.created', 'bench-node', '{}', 8) returning id`,
  );
  const id = rows[0]!.id;
  claimStatement = (pool) => claimNewDelivery(pool, 30_000, id);
  const started = performance.now();
  await claimNewDelivery(db, 30_000, id);
  return performance.now() - started;
}

async function measure(db: Db): Promise<Map<string, number[]>> {
  const { rows: ids } = await db.query<{ id: string }>(
    'select id from callback_delivery tablesample system (1) limit 200',
  );
  const { rows: dead } = await db.query<{ id: string }>(
    `select id from callback_delivery where status = 'DEAD' and status <> 'DELIVERED' limit 200`,
  );
  const { rows: nodes } = await db.query<{ node_id: string }>(
    'select node_id from callback_delivery tablesample system (1) limit 200',
  );
  const windows = new Map<string, Date>();
  for (let i = 0; i < 5; i++) {
    const { rows } = await db.query<{ created_at: Date }>(
      `select created_at from callback_delivery where callback = $1 and status = 'DEAD' and status <> 'DELIVERED'
          and created_at < $2 order by created_at desc offset ${REDELIVERED - 1} limit 1`,
      [callbackOf(i), dayAgo(40)],
    );
    if (rows[0]) windows.set(callbackOf(i), rows[0].created_at);
  }
  samples.set(db, {
    ids: ids.map((r) => r.id),
    dead: dead.map((r) => r.id),
    nodes: nodes.map((r) => r.node_id),
    windows,
  });
  const times = new Map<string, number[]>();
  for (const statement of STATEMENTS) {
    const list: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const own = await statement.run(db, i);
      // The claim times itself (its insert is setup, not the claim); `false`: a run that does not count.
      if (own !== false)
        list.push(
          typeof own === 'number' && statement.name === 'new delivery claim' ? own : performance.now() - started,
        );
    }
    times.set(statement.name, list);
  }
  return times;
}

/** Each statement once more, its SQL prefixed with EXPLAIN (ANALYZE, BUFFERS), inside a rolled-back transaction. */
async function explainAll(pool: Db): Promise<{ text: string; serverMs: Map<string, number> }> {
  const out: string[] = [];
  const serverMs = new Map<string, number>();
  let current = '';
  const client = await pool.connect();
  const explaining = {
    async query(text: string, values?: unknown[]) {
      if (/^(begin|rollback)$/.test(text)) return { rows: [], rowCount: 0 };
      const { rows } = await client.query(`explain (analyze, buffers) ${text}`, values);
      const plan = rows.map((r) => r['QUERY PLAN'] as string);
      const ms = Number(/Execution Time: ([\d.]+)/.exec(plan.at(-1) ?? '')?.[1] ?? 0);
      serverMs.set(current, (serverMs.get(current) ?? 0) + ms);
      out.push(`-- ${text.trim().replace(/\s+/g, ' ').slice(0, 300)}\n${plan.join('\n')}\n`);
      return { rows: [], rowCount: 0 };
    },
    connect: async () => ({ ...explaining, release: () => undefined }),
  } as unknown as Db;
  samples.set(explaining, sample(pool));
  try {
    await client.query('begin');
    for (const statement of STATEMENTS) {
      current = statement.name;
      out.push(`\n==== ${statement.name}\n`);
      if (statement.name === 'new delivery claim') {
        await claimFresh(pool);
        await claimStatement(explaining);
      } else await statement.run(explaining, 1).catch((err: Error) => out.push(`(${err.message})`));
    }
  } finally {
    await client.query('rollback');
    client.release();
  }
  return { text: out.join('\n'), serverMs };
}

const postgres = await startBenchPostgres({
  shared_buffers: '1GB',
  max_wal_size: '8GB',
  maintenance_work_mem: '512MB',
  work_mem: '32MB',
});
const log = (line: string) => console.log(line);
try {
  const results = new Map<number, Map<string, number[]>>();
  const serverTimes = new Map<number, Map<string, number>>();
  let explained = '';
  for (const n of [SMALL, size]) {
    const url = await postgres.database();
    // Redelivery queues its jobs through graphile-worker's add_job.
    const migrating = new pg.Pool({ connectionString: url });
    await runMigrations({ pgPool: migrating });
    await migrating.end();
    log(`loading ${n.toLocaleString('en')} deliveries`);
    log(`  loaded in ${round(await loadHistory(url, n, log))} s`);
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    try {
      results.set(n, await measure(pool));
      const { text, serverMs } = await explainAll(pool);
      serverTimes.set(n, serverMs);
      if (n === size) explained = text;
    } finally {
      await pool.end();
    }
  }
  const outDir = path.join(rootDir, 'bench', 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'history-explain.txt'), explained);
  const cell = (value: number) => String(round(value, 2)).padStart(8);
  const sizes = `${SMALL / 1000}k`;
  const large = `${size / 1e6}M`;
  console.log(
    `\n${'statement'.padEnd(52)}  ${`p50 ${sizes}`.padStart(8)}  ${'p99'.padStart(8)}  ${`p50 ${large}`.padStart(8)}  ${'p99'.padStart(8)}  p99 ratio  ${`server ${sizes}`.padStart(10)}  ${`server ${large}`.padStart(10)}`,
  );
  for (const { name } of STATEMENTS) {
    const [a, b] = [results.get(SMALL)!.get(name)!, results.get(size)!.get(name)!];
    const ratio = percentile(b, 99) / percentile(a, 99);
    const [sa, sb] = [serverTimes.get(SMALL)!.get(name) ?? NaN, serverTimes.get(size)!.get(name) ?? NaN];
    console.log(
      `${name.padEnd(52)}  ${cell(percentile(a, 50))}  ${cell(percentile(a, 99))}  ${cell(percentile(b, 50))}  ${cell(percentile(b, 99))}  ${`${round(ratio, 2)}×`.padStart(9)}  ${cell(sa).padStart(10)}  ${cell(sb).padStart(10)}`,
    );
  }
  console.log(
    `\n(ms; p50/p99 of ${RUNS} runs each, wall time from this process; server: the statements' EXPLAIN ANALYZE execution time, one run; EXPLAIN (ANALYZE, BUFFERS) at ${size.toLocaleString('en')} in bench/out/history-explain.txt)`,
  );
} finally {
  await postgres.stop();
}
