import http from 'node:http';
import { cpus } from 'node:os';
import path from 'node:path';
import { Logger, run, runMigrations } from 'graphile-worker';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { onConnectionErrors } from '../src/db/connection-errors.js';
import { eventually } from '../packages/testing/eventually.js';
import {
  BENCH_WAIT,
  median,
  percentile,
  round,
  startBenchPostgres,
  startBenchReceiver,
  type BenchPostgres,
} from './harness.js';
import {
  LATENCY_SAMPLES,
  measurePaygraphDrain,
  measurePaygraphLatency,
  RATE_DELIVERIES,
  timeDrain,
  type Drain,
} from './paygraph-arms.js';

/**
 * npm run bench:peers: the job of bench:callbacks (commit a row and a durable job in one transaction,
 * POST it to a loopback receiver) done by raw graphile-worker with Paygraph's settings and by pg-boss
 * 10 (the version that runs on Node 20), measured in the same run as Paygraph, printed as ratios.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// BENCH_PEERS_ARMS=paygraph,graphile-worker leaves pg-boss out (a minute a round of polling);
// BENCH_CPU_PROFILE=<dir> writes Paygraph's CPU profiles (latency, drain) of the last round.
const ARMS = (process.env.BENCH_PEERS_ARMS ?? 'paygraph,graphile-worker,pg-boss').split(',');
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
const CONCURRENCY = 24;
const BOSS_POLL_SECONDS = 0.5;

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const post = (url: string, body: string) =>
  new Promise<void>((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (response) => {
        response.resume().on('end', () => resolve());
      },
    );
    request.on('error', reject).end(body);
  });

interface Arm {
  latency(postgres: BenchPostgres): Promise<{ p50: number; p99: number }>;
  rate(postgres: BenchPostgres): Promise<Drain>;
}

/** A table of "purchases" and the queue's own job, written by one transaction. */
async function purchasesTable(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  onConnectionErrors(pool, () => undefined);
  await pool.query('create table if not exists bench_purchase (id serial primary key, amount int not null)');
  return pool;
}

const graphileArm: Arm = {
  async latency(postgres) {
    const url = await postgres.database();
    const pool = await purchasesTable(url);
    await runMigrations({ pgPool: pool });
    const arrivals = new Map<string, number>();
    const receiver = await startBenchReceiver((body, at) => arrivals.set(String(JSON.parse(body).id), at));
    const runner = await graphileRunner(pool, receiver.url);
    const samples = await commitAndWait(pool, arrivals, (client, id) =>
      client.query(`select graphile_worker.add_job('deliver', json_build_object('id', $1::int))`, [id]),
    );
    await runner.stop();
    await receiver.close();
    await pool.end();
    return samples;
  },
  async rate(postgres) {
    const url = await postgres.database();
    const pool = await purchasesTable(url);
    await runMigrations({ pgPool: pool });
    await pool.query(
      `with rows as (insert into bench_purchase (amount) select 100 from generate_series(1, $1) returning id)
       select count(graphile_worker.add_job('deliver', json_build_object('id', id))) from rows`,
      [RATE_DELIVERIES],
    );
    let received = 0;
    const receiver = await startBenchReceiver(() => received++);
    const { started: runner, ...drain } = await timeDrain(
      url,
      RATE_DELIVERIES,
      () => received,
      undefined,
      () => graphileRunner(pool, receiver.url),
    );
    await runner.stop();
    await receiver.close();
    await pool.end();
    return drain;
  },
};

function graphileRunner(pool: pg.Pool, receiverUrl: string) {
  return run({
    pgPool: pool,
    concurrency: CONCURRENCY,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: new Logger(() => () => undefined),
    taskList: { deliver: async (payload) => post(receiverUrl, JSON.stringify(payload)) },
    preset: { worker: { localQueue: { size: CONCURRENCY + 1 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  });
}

const pgBossArm: Arm = {
  async latency(postgres) {
    const url = await postgres.database();
    const pool = await purchasesTable(url);
    const arrivals = new Map<string, number>();
    const receiver = await startBenchReceiver((body, at) => arrivals.set(String(JSON.parse(body).id), at));
    const boss = await startBoss(url, receiver.url);
    const samples = await commitAndWait(
      pool,
      arrivals,
      (client, id) =>
        boss.send('deliver', { id }, { db: { executeSql: (text, values) => client.query(text, values) } }),
      // Polling makes each sample about half a poll interval: fewer samples tell the same story.
      Math.min(LATENCY_SAMPLES, 40),
    );
    await boss.stop({ graceful: false, wait: true });
    await receiver.close();
    await pool.end();
    return samples;
  },
  async rate(postgres) {
    const url = await postgres.database();
    let received = 0;
    const receiver = await startBenchReceiver(() => received++);
    const boss = new PgBoss({ connectionString: url });
    boss.on('error', () => undefined);
    await boss.start();
    await boss.createQueue('deliver');
    const count = Math.min(RATE_DELIVERIES, 1000);
    await boss.insert(Array.from({ length: count }, (_, id) => ({ name: 'deliver', data: { id } })));
    const drain = await timeDrain(
      url,
      count,
      () => received,
      undefined,
      () => work(boss, receiver.url),
    );
    await boss.stop({ graceful: false, wait: true });
    await receiver.close();
    return drain;
  },
};

async function startBoss(url: string, receiverUrl: string): Promise<PgBoss> {
  const boss = new PgBoss({ connectionString: url });
  boss.on('error', () => undefined);
  await boss.start();
  await boss.createQueue('deliver');
  await work(boss, receiverUrl);
  return boss;
}

function work(boss: PgBoss, receiverUrl: string) {
  return boss.work<{ id: number }>(
    'deliver',
    { batchSize: CONCURRENCY, pollingIntervalSeconds: BOSS_POLL_SECONDS },
    async (jobs) => {
      await Promise.all(jobs.map((job) => post(receiverUrl, JSON.stringify(job.data))));
    },
  );
}

/** One purchase at a time: commit the row and its job together, then time commit → receiver. */
async function commitAndWait(
  pool: pg.Pool,
  arrivals: Map<string, number>,
  enqueue: (client: pg.PoolClient, id: number) => Promise<unknown>,
  samplesWanted = LATENCY_SAMPLES,
) {
  const samples: number[] = [];
  for (let i = 0; i < samplesWanted + 5; i++) {
    const client = await pool.connect();
    let id: number;
    try {
      await client.query('begin');
      id = (await client.query<{ id: number }>('insert into bench_purchase (amount) values (100) returning id'))
        .rows[0]!.id;
      await enqueue(client, id);
      await client.query('commit');
    } finally {
      client.release();
    }
    const committedAt = performance.now();
    await eventually(() => arrivals.has(String(id)), Boolean, BENCH_WAIT);
    if (i >= 5) samples.push(arrivals.get(String(id))! - committedAt);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

let lastRound = false;
const profileOf = (what: string) =>
  PROFILE_DIR && lastRound ? path.join(PROFILE_DIR, `paygraph-${what}.cpuprofile`) : undefined;
const paygraphArm: Arm = {
  latency: (postgres) => measurePaygraphLatency(postgres, profileOf('latency')),
  rate: (postgres) => measurePaygraphDrain(postgres, profileOf('drain')),
};
const allArms = { paygraph: paygraphArm, 'graphile-worker': graphileArm, 'pg-boss': pgBossArm } as const;
type Name = keyof typeof allArms;
const arms = Object.fromEntries(Object.entries(allArms).filter(([name]) => ARMS.includes(name))) as Partial<
  typeof allArms
>;

const postgres = await startBenchPostgres();
const results = Object.fromEntries(
  Object.keys(arms).map((name) => [
    name,
    {
      p50: [] as number[],
      p99: [] as number[],
      rate: [] as number[],
      nodeMs: [] as number[],
      postgresMs: [] as number[],
    },
  ]),
) as Record<Name, { p50: number[]; p99: number[]; rate: number[]; nodeMs: number[]; postgresMs: number[] }>;
try {
  for (let roundNumber = 1; roundNumber <= ROUNDS; roundNumber++) {
    // A different arm first each round, so warm-up and drift favour none.
    const order = (Object.keys(arms) as Name[]).map((_, i, names) => names[(i + roundNumber) % names.length]!);
    lastRound = roundNumber === ROUNDS;
    for (const name of order) {
      const latency = await arms[name]!.latency(postgres);
      const drain = await arms[name]!.rate(postgres);
      results[name].p50.push(latency.p50);
      results[name].p99.push(latency.p99);
      results[name].rate.push(drain.rate);
      results[name].nodeMs.push(drain.nodeMs);
      results[name].postgresMs.push(drain.postgresMs);
      console.log(
        `round ${roundNumber} ${name}: p50 ${round(latency.p50)} ms, p99 ${round(latency.p99)} ms, drain ${round(drain.rate)}/s` +
          ` (CPU per delivery: node ${round(drain.nodeMs, 3)} ms, PostgreSQL ${round(drain.postgresMs, 3)} ms)`,
      );
    }
  }
  const row = (name: Name) => {
    const r = results[name];
    const base = results['graphile-worker'];
    return `  ${name.padEnd(16)} p50 ${String(round(median(r.p50))).padStart(6)} ms  p99 ${String(round(median(r.p99))).padStart(6)} ms  drain ${String(round(median(r.rate))).padStart(7)}/s   vs raw graphile-worker: latency ${round(median(r.p50) / median(base.p50), 2)}x, drain ${round((100 * median(r.rate)) / median(base.rate))}%; CPU per delivery node ${round(median(r.nodeMs), 3)} + PostgreSQL ${round(median(r.postgresMs), 3)} ms`;
  };
  console.log(`
Medians over ${ROUNDS} rounds (${process.env.CI ? 'CI' : 'this machine'}, ${cpus().length} cores); commit → receiver on an idle queue, backlog drain:
${(Object.keys(arms) as Name[]).map(row).join('\n')}
(pg-boss polls every ${BOSS_POLL_SECONDS} s, its minimum, with batches of ${CONCURRENCY}; its drain uses min(${RATE_DELIVERIES}, 1000) jobs.)`);
} finally {
  agent.destroy();
  await postgres.stop();
}
