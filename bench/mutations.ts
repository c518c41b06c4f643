import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { cpuBetween, sampleCpu } from './cpu-time.js';
import { profiled } from './cpu-profile.js';
import { median, round, startBenchPaygraph, startBenchPostgres } from './harness.js';
import { runLoad } from './load-client.js';
import { seedUser } from './paygraph-arms.js';

/**
 * npm run bench:mutations: createPurchase over HTTP, API only, no callback, from CONCURRENCY
 * connections (autocannon, in its own process), beside its floors measured in the same round on the
 * same database: an anonymous `{ __typename }` (HTTP + Yoga), a signed-in `{ me { id } }` (plus who
 * is asking and one read) and a raw Prisma insert of the same row from this process (the database
 * alone). Arms take turns going first, so warm-up and drift favour none. Prints every round and the
 * medians: requests per second, the API process's and PostgreSQL's CPU milliseconds per request (the
 * steadier figure on a shared machine), and the SQL statements each request sends.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_MUTATION_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
// BENCH_ARM=createPurchase runs that arm alone; BENCH_CPU_PROFILE=<dir> writes each arm's CPU profile of its last round.
const ONLY = process.env.BENCH_ARM;
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;

type Figures = { rate: number; done: number; p99Ms?: number };
type Arm = { name: string; run: (seconds: number) => Promise<Figures> };

// Every statement a pg client of this process sends, Prisma's included (its adapter runs on this pg).
let statements = 0;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  statements++;
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

const postgres = await startBenchPostgres();
const databaseUrl = await postgres.database();
const app = await startBenchPaygraph(databaseUrl, 'callbacks: {}\n', { api: true, worker: false });
const reader = new pg.Pool({ connectionString: databaseUrl, max: 1 });
try {
  const { user, token } = await seedUser(app);
  const url = `${app.url}/graphql`;
  const signedIn = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const createPurchase = JSON.stringify({
    query:
      'mutation($u: ID!) { createPurchase(amount: 50000, description: "A new laptop", isPaid: false, userId: $u) { id } }',
    variables: { u: user.id },
  });
  const purchases = async () => Number((await reader.query('select count(*) from "Purchase"')).rows[0].count);

  /** Load over HTTP; when `writes`, every answer must have written its purchase (GraphQL errors come as 200s). */
  const http =
    (headers: Record<string, string>, body: string, writes: boolean, freshIds = false) =>
    async (seconds: number): Promise<Figures> => {
      const before = writes ? await purchases() : 0;
      const load = await runLoad({ url, connections: CONCURRENCY, seconds, headers, body, freshIds });
      const written = writes ? (await purchases()) - before : load.ok;
      // Requests still in flight when the load stops are written but not counted.
      if (load.failed > 0 || written < load.ok || written > load.ok + CONCURRENCY)
        throw new Error(`${load.failed} failed requests; ${written} purchases for ${load.ok} answers`);
      return { rate: load.rate, done: load.ok, p99Ms: load.p99Ms };
    };
  const arms: Arm[] = [
    {
      name: 'anonymous { __typename }',
      run: http({ 'content-type': 'application/json' }, JSON.stringify({ query: '{ __typename }' }), false),
    },
    { name: 'signed-in { me { id } }', run: http(signedIn, JSON.stringify({ query: '{ me { id } }' }), false) },
    {
      name: 'raw Prisma insert, no HTTP',
      run: (seconds: number) =>
        rawInserts(seconds, () =>
          app.db.purchase.create({ data: { amount: 50000, description: 'A new laptop', userId: user.id } }),
        ),
    },
    { name: 'createPurchase', run: http(signedIn, createPurchase, true) },
    {
      name: 'createPurchase + Idempotency-Key',
      run: http({ ...signedIn, 'idempotency-key': '[<id>]' }, createPurchase, true, true),
    },
  ].filter((arm) => !ONLY || arm.name === ONLY);
  const results = new Map(
    arms.map((arm) => [
      arm.name,
      { rate: [] as number[], nodeMs: [] as number[], postgresMs: [] as number[], statements: [] as number[] },
    ]),
  );

  // Warm-up: connections, the JIT, Prisma's and Yoga's caches.
  for (const arm of arms) await arm.run(2);

  for (let roundNo = 1; roundNo <= ROUNDS; roundNo++) {
    const order = arms.map((_, i) => arms[(i + roundNo - 1) % arms.length]!);
    const figures: string[] = [];
    for (const arm of order) {
      const profile =
        PROFILE_DIR && roundNo === ROUNDS ? `${PROFILE_DIR}/${arm.name.replace(/\W+/g, '-')}.cpuprofile` : undefined;
      const statementsBefore = statements;
      const cpuBefore = await sampleCpu(reader);
      const { rate, done, p99Ms } = await profiled(profile, () => arm.run(SECONDS)).catch((error: Error) => {
        throw new Error(`${arm.name}, round ${roundNo}: ${error.message}`);
      });
      const cpu = cpuBetween(cpuBefore, await sampleCpu(reader));
      const result = results.get(arm.name)!;
      result.rate.push(rate);
      result.nodeMs.push(cpu.nodeMs / done);
      result.postgresMs.push(cpu.postgresMs / done);
      // The arm's own bookkeeping (CPU samples, row counts) is a handful of statements over thousands of requests.
      result.statements.push((statements - statementsBefore) / done);
      figures.push(
        `${arm.name} ${round(rate)}/s${p99Ms === undefined ? '' : ` p99 ${p99Ms} ms`} (CPU ms ${round(cpu.nodeMs / done, 2)} + ${round(cpu.postgresMs / done, 2)})`,
      );
    }
    console.log(`round ${roundNo} (load ${loadavg()[0]!.toFixed(2)}): ${figures.join(' | ')}`);
  }

  const createRate = median(results.get('createPurchase')?.rate ?? [NaN]);
  console.log(
    `\nMedians over ${ROUNDS} rounds, ${CONCURRENCY} connections, ${SECONDS} s each (${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}):`,
  );
  for (const arm of arms) {
    const result = results.get(arm.name)!;
    const rate = median(result.rate);
    console.log(
      `  ${arm.name.padEnd(34)} ${String(round(rate)).padStart(7)}/s   CPU ms each: API ${round(median(result.nodeMs), 2)} + postgres ${round(median(result.postgresMs), 2)}   ` +
        `${round(median(result.statements), 1)} SQL statements   createPurchase is ${round((100 * createRate) / rate)}% of it`,
    );
  }
  console.log('Every round, requests/s:');
  for (const arm of arms)
    console.log(
      `  ${arm.name.padEnd(34)} ${results
        .get(arm.name)!
        .rate.map((rate) => round(rate))
        .join(', ')}`,
    );
} finally {
  await reader.end();
  await app.stop();
  await postgres.stop();
}

/** CONCURRENCY loops of `insert` in this process for `seconds`. */
async function rawInserts(seconds: number, insert: () => Promise<unknown>): Promise<Figures> {
  let done = 0;
  const startedAt = performance.now();
  const deadline = startedAt + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await insert();
        done++;
      }
    }),
  );
  return { rate: done / ((performance.now() - startedAt) / 1000), done };
}
