import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { launcherArgs } from '../packages/base/launcher.js';
import { rootDir } from '../src/config.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { freePort } from '../packages/base/free-port.js';
import { eventually } from '../packages/testing/eventually.js';
import { capacityReport, startCapacity } from './capacity.js';
import { sampleCpu } from './cpu-time.js';
import { BENCH_WAIT, median, percentile, round, SIGNING_SECRET } from './harness.js';
import { processTreeMemory, type ProcessMemory } from './process-memory.js';

/**
 * npm run bench:e2e: the `npm start` stack, started as `npm start` starts it (dev/start.ts in its own
 * process, with its worker, both services and the local Stripe emulator) on a fresh embedded
 * PostgreSQL, driven from this process as clients would drive it. Measures createPurchase-returned
 * to paid one at a time, then ROUNDS rounds of USERS concurrent users buying for SECONDS each, and
 * the resident memory of every process of the stack while it works.
 */
const SEQUENTIAL = Number(process.env.BENCH_E2E_PURCHASES ?? 200);
const USERS = Number(process.env.BENCH_E2E_USERS ?? 50);
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// BENCH_CPU_PROFILE=<dir>: every process of the stack writes a V8 CPU profile of its whole life there when it stops.
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
// BENCH_E2E_STACK=compiled: the stack from `npm run build`'s output (as `npm run start:prod` runs it)
// instead of the TypeScript sources under tsx, whose loader costs every process memory of its own.
const COMPILED = process.env.BENCH_E2E_STACK === 'compiled';
const COMPILED_MAIN = path.join(rootDir, 'dist/dev/start.js');
if (COMPILED && !existsSync(COMPILED_MAIN)) {
  console.error('BENCH_E2E_STACK=compiled needs dist/dev/start.js: run `npm run build` first.');
  process.exit(2);
}
const STACK_LOG = process.env.BENCH_E2E_STACK_LOG ?? path.join(tmpdir(), 'paygraph-bench-e2e-stack.log');
// PostgreSQL's own messages: a deadlock report there names both statements of the cycle.
const POSTGRES_LOG = process.env.BENCH_E2E_POSTGRES_LOG ?? path.join(tmpdir(), 'paygraph-bench-e2e-postgres.log');

const dataDir = mkdtempSync(path.join(tmpdir(), 'paygraph-bench-e2e-'));
chmodSync(dataDir, 0o755); // initdb runs as the postgres user and must reach the data folder inside
writeFileSync(POSTGRES_LOG, '');
// BENCH_E2E_PG_STATEMENTS=1: PostgreSQL's pg_stat_statements, and the statements that took it longest (waits included) at the end.
// BENCH_E2E_CAPACITY=1: per paid purchase of the rounds, statements, round trips, WAL bytes and CPU ms (bench/capacity.ts).
const CAPACITY = process.env.BENCH_E2E_CAPACITY === '1';
const STATEMENTS = process.env.BENCH_E2E_PG_STATEMENTS === '1' || CAPACITY;
const postgres = await startEmbeddedPostgres({
  dataDir: path.join(dataDir, 'postgres'),
  onLog: (line) => appendFileSync(POSTGRES_LOG, `${line}\n`),
  ...(STATEMENTS && {
    settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' },
  }),
});
const port = await freePort();
const api = `http://127.0.0.1:${port}`;
const { STRIPE_SECRET_KEY: _realStripe, ...environment } = process.env; // the local Stripe emulator, never a real key
const stack = spawn(process.execPath, COMPILED ? [COMPILED_MAIN] : launcherArgs('../dev/start', import.meta.url), {
  env: {
    ...environment,
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    DATABASE_URL: postgres.url,
    CALLBACK_SIGNING_SECRET: SIGNING_SECRET,
    PORT: String(port),
    CREATE_CUSTOMER_PORT: String(await freePort()),
    CHARGE_CUSTOMER_PORT: String(await freePort()),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    // Every bench user signs up from loopback: the per-address limit would stop the run, not measure it.
    SIGNUP_MAX_PER_ADDRESS: '1000000',
    // NODE_OPTIONS refuses --cpu-prof; a preloaded module does the same, in every node process of the stack.
    ...(PROFILE_DIR && {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${new URL('./profile-on-exit.mjs', import.meta.url).href}`,
      BENCH_CPU_PROFILE_DIR: path.resolve(PROFILE_DIR),
    }),
  },
  // The welcome banner and the log stay out of the figures, in a file kept for a look after a failure.
  stdio: ['ignore', openSync(STACK_LOG, 'w'), 'inherit'],
});
const stackExited = new Promise<void>((resolve) => stack.once('exit', () => resolve()));
const reader = new pg.Pool({ connectionString: postgres.url, max: 4 });
if (STATEMENTS) await reader.query('create extension if not exists pg_stat_statements');

const graphql = async (query: string, variables: Record<string, unknown>, token?: string) => {
  const response = await fetch(`${api}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
};

/** A new user, signed in, whose card (tok_visa) is added and not yet saved. */
async function signUpWithCard(name: string): Promise<{ id: string; token: string }> {
  const email = `${name}-${Date.now()}@example.com`;
  const { createUser } = await graphql(
    'mutation($e: String!) { createUser(name: "Bench", authProvider: { email: { email: $e, password: "benchmark" } }) { id } }',
    { e: email },
  );
  const { signinUser } = await graphql(
    'mutation($e: String!) { signinUser(email: { email: $e, password: "benchmark" }) { token } }',
    { e: email },
  );
  await graphql(
    'mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }',
    { u: createUser.id },
    signinUser.token,
  );
  return { id: createUser.id as string, token: signinUser.token as string };
}

/** A signed-up user with an ACTIVE card and a Stripe customer. */
async function customer(index: number) {
  const { id, token } = await signUpWithCard(`bench${index}`);
  const withCustomer = 'select 1 from "User" where id = $1 and "stripeId" is not null';
  await eventually(async () => (await reader.query(withCustomer, [id])).rowCount === 1, Boolean, {
    ...BENCH_WAIT,
    timeoutMs: 60_000,
    what: 'the Stripe customer',
  });
  return { id, token };
}

/**
 * Purchases are watched as the API's own subscriptions watch them: the `paygraph_change` notification
 * of a purchase (migration console_live) asks for the purchases it names, in one query for all that
 * changed meanwhile. Polling every 2 ms instead cost PostgreSQL a query per 2 ms on the same two cores.
 */
const waiting = new Map<string, () => void>();
const changed = new Set<string>();
let checking = false;
const listener = new pg.Client({ connectionString: postgres.url });
await listener.connect();
listener.on('notification', (message) => {
  const change = JSON.parse(message.payload ?? '{}') as { type?: string; id?: string };
  if (change.type !== 'Purchase' || !change.id || !waiting.has(change.id)) return;
  changed.add(change.id);
  void checkChanged();
});
await listener.query('LISTEN paygraph_change');
async function checkChanged() {
  if (checking) return;
  checking = true;
  while (changed.size > 0) {
    const ids = [...changed];
    changed.clear();
    const { rows } = await reader.query<{ id: string }>('select id from "Purchase" where id = any($1) and "isPaid"', [
      ids,
    ]);
    for (const { id } of rows) {
      waiting.get(id)?.();
      waiting.delete(id);
    }
  }
  checking = false;
}
const paid = (id: string) =>
  new Promise<void>((resolve) => {
    waiting.set(id, resolve);
    // Paid before we listened for it: the notification went by already.
    changed.add(id);
    void checkChanged();
  });

/** The tutorial's sequence: a new user adds a card and buys at once, before the card is saved. */
async function cardThenPurchase(index: number): Promise<number> {
  return purchaseToPaid(await signUpWithCard(`bench-tutorial${index}`));
}

/** createPurchase, then the time until the row says paid. */
async function purchaseToPaid(user: { id: string; token: string }): Promise<number> {
  const { createPurchase } = await graphql(
    'mutation($u: ID!) { createPurchase(amount: 50000, description: "A new laptop", isPaid: false, userId: $u) { id } }',
    { u: user.id },
    user.token,
  );
  const returnedAt = performance.now();
  await paid(createPurchase.id);
  return performance.now() - returnedAt;
}

/** What each process of the stack runs, from its command line. */
function nameOf(args: string[], pid: number): string {
  if (pid === stack.pid) return args.includes('worker') ? 'worker' : 'API';
  const script = args.findIndex((arg) => /services[\\/]run\.[jt]s$|src[\\/]main\.[jt]s$/.test(arg));
  if (script >= 0) return args[script + 1] ?? 'API';
  if (args.includes('--ping')) return 'esbuild (tsx)';
  return args.some((arg) => arg.includes('stripe-local')) ? 'stripe-local' : (args.at(-1) ?? String(pid));
}

/** CPU time of each process of the stack, and of PostgreSQL, at one moment. */
async function cpuNow(): Promise<Map<string, number>> {
  const total = new Map<string, number>();
  for (const { name, cpuMs } of processTreeMemory(stack.pid!, nameOf)) total.set(name, (total.get(name) ?? 0) + cpuMs);
  total.set('PostgreSQL', (await sampleCpu(reader)).postgresMs);
  return total;
}

/**
 * The largest resident size each process of the stack reaches while `work` runs, sampled every 250 ms,
 * and the CPU time each spent meanwhile.
 */
async function peakMemory<T>(
  work: () => Promise<T>,
): Promise<{ result: T; peaks: Map<string, number>; cpuMs: Map<string, number> }> {
  const peaks = new Map<string, number>();
  const sample = () => {
    for (const { name, rssMb } of processTreeMemory(stack.pid!, nameOf) as ProcessMemory[])
      peaks.set(name, Math.max(peaks.get(name) ?? 0, rssMb));
  };
  const cpuBefore = await cpuNow();
  const timer = setInterval(sample, 250);
  try {
    const result = await work();
    sample();
    const cpuAfter = await cpuNow();
    const cpuMs = new Map([...cpuAfter].map(([name, ms]) => [name, ms - (cpuBefore.get(name) ?? 0)]));
    return { result, peaks, cpuMs };
  } finally {
    clearInterval(timer);
  }
}

try {
  console.log(
    `The stack: ${COMPILED ? 'compiled (dist/, as npm run start:prod)' : 'TypeScript under tsx (as npm start)'}; its log: ${STACK_LOG}`,
  );
  await Promise.race([
    eventually(
      () =>
        fetch(`${api}/readyz`).then(
          (response) => response.ok,
          () => false,
        ),
      Boolean,
      { ...BENCH_WAIT, what: 'the stack to be ready' },
    ),
    stackExited.then(() => {
      throw new Error('the stack exited before it was ready');
    }),
  ]);
  const first = await customer(0);
  for (let i = 0; i < 10; i++) await purchaseToPaid(first);
  const latencies: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) latencies.push(await purchaseToPaid(first));
  console.log(`createPurchase returned -> paid, one at a time (${SEQUENTIAL} purchases, load ${loadavg()[0]!.toFixed(2)})
  p50 ${round(percentile(latencies, 50))} ms   p99 ${round(percentile(latencies, 99))} ms   (target p50 < 100, p99 < 300)`);

  const tutorial: number[] = [];
  for (let i = 0; i < 50; i++) tutorial.push(await cardThenPurchase(i));
  console.log(`card, then purchase at once (a new user each, 50 times): createPurchase returned -> paid
  p50 ${round(percentile(tutorial, 50))} ms   p99 ${round(percentile(tutorial, 99))} ms   (target p50 < 150)`);

  const users = await Promise.all(Array.from({ length: USERS }, (_, i) => customer(i + 1)));
  const rounds: { rate: number; p50: number; p99: number; apiAndWorkerMb: number }[] = [];
  const peaks = new Map<string, number>();
  console.log(`\n${USERS} concurrent users buying, ${SECONDS} s a round (${cpus().length} cores):`);
  const capacity = CAPACITY ? await startCapacity(reader) : null;
  const capacityCpu = new Map<string, number>();
  let capacityPurchases = 0;
  for (let roundNo = 1; roundNo <= ROUNDS; roundNo++) {
    const {
      result,
      peaks: roundPeaks,
      cpuMs,
    } = await peakMemory(async () => {
      let paidCount = 0;
      const loaded: number[] = [];
      const startedAt = performance.now();
      const deadline = startedAt + SECONDS * 1000;
      await Promise.all(
        users.map(async (user) => {
          while (performance.now() < deadline) {
            loaded.push(await purchaseToPaid(user));
            paidCount++;
          }
        }),
      );
      return {
        paidCount,
        rate: paidCount / ((performance.now() - startedAt) / 1000),
        p50: percentile(loaded, 50),
        p99: percentile(loaded, 99),
      };
    });
    for (const [name, mb] of roundPeaks) peaks.set(name, Math.max(peaks.get(name) ?? 0, mb));
    for (const [name, ms] of cpuMs) capacityCpu.set(name, (capacityCpu.get(name) ?? 0) + ms);
    capacityPurchases += result.paidCount;
    const apiAndWorkerMb = (roundPeaks.get('API') ?? 0) + (roundPeaks.get('worker') ?? 0);
    rounds.push({ ...result, apiAndWorkerMb });
    console.log(
      `  round ${roundNo} (load ${loadavg()[0]!.toFixed(2)}): ${round(result.rate)} purchases paid/s   latency p50 ${round(result.p50)} ms   p99 ${round(result.p99)} ms   ` +
        `API + worker peak RSS ${round(apiAndWorkerMb)} MB\n` +
        `    CPU ms per purchase: ${[...cpuMs]
          .filter(([, ms]) => ms > 0)
          .map(([name, ms]) => `${name} ${round(ms / result.paidCount, 2)}`)
          .join(', ')}, ` +
        `all ${round([...cpuMs.values()].reduce((sum, ms) => sum + ms, 0) / result.paidCount, 2)}`,
    );
  }
  console.log(
    `Medians over ${ROUNDS} rounds: ${round(median(rounds.map((r) => r.rate)))} purchases paid/s   ` +
      `latency p50 ${round(median(rounds.map((r) => r.p50)))} ms   p99 ${round(median(rounds.map((r) => r.p99)))} ms   ` +
      `API + worker peak RSS ${round(median(rounds.map((r) => r.apiAndWorkerMb)))} MB   (target >= 150/s, p99 < 500 ms, < 300 MB)`,
  );
  console.log(
    `Peak resident memory per process: ${[...peaks].map(([name, mb]) => `${name} ${round(mb)} MB`).join(', ')}`,
  );
  if (capacity) console.log(await capacityReport(reader, capacity, capacityPurchases, capacityCpu));
  if (STATEMENTS) {
    const { rows } = await reader.query<{ calls: string; ms: number; each: number; query: string }>(
      `select calls, round(total_exec_time)::int as ms, round((total_exec_time / calls)::numeric, 3)::float8 as each,
              left(regexp_replace(query, '\\s+', ' ', 'g'), 140) as query
         from pg_stat_statements order by total_exec_time desc limit 25`,
    );
    console.log(
      `Statements by PostgreSQL's time (ms in all, ms each, calls):\n${rows.map((r) => `  ${r.ms}\t${r.each}\t${r.calls}\t${r.query}`).join('\n')}`,
    );
  }
  const {
    rows: [stats],
  } = await reader.query<{ deadlocks: number }>(
    'select deadlocks::int from pg_stat_database where datname = current_database()',
  );
  console.log(`Deadlocks PostgreSQL broke: ${stats!.deadlocks} (its log: ${POSTGRES_LOG})`);
} finally {
  await listener.end();
  await reader.end();
  stack.kill('SIGTERM');
  await stackExited;
  await postgres.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
