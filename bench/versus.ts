import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../packages/base/free-port.js';
import { eventually } from '../packages/testing/eventually.js';
import { cpuBetween, sampleCpu } from './cpu-time.js';
import { SIGNING_SECRET, median, round, startBenchPostgres } from './harness.js';
import { runLoad } from './load-client.js';

/**
 * npm run bench:versus -- <git ref>: createPurchase (no callback, API only) of this tree beside the
 * same API at an earlier commit, in one run on one PostgreSQL, so a speed-up is measured against
 * code rather than against a figure from another hour of a shared machine. Each API runs in its own
 * process under tsx (as `npm run api` runs it); autocannon, in a process of its own, sends
 * CONCURRENCY connections; the arms take turns going first. Counts are the rows written, and CPU is
 * the API process's and PostgreSQL's, per mutation.
 */
const REF = process.argv[2] ?? process.env.BENCH_VERSUS_REF;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_MUTATION_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
// BENCH_VERSUS_TREE=<dir>: a checkout of REF with its dependencies installed, used as it is (no worktree, no npm ci).
const GIVEN_TREE = process.env.BENCH_VERSUS_TREE;
const HERE = path.resolve(import.meta.dirname, '..');
const TICK_MS = 10; // /proc/<pid>/stat counts clock ticks of 1/100 s
const CREATE_PURCHASE =
  'mutation($u: ID!) { createPurchase(amount: 50000, description: "A new laptop", isPaid: false, userId: $u) { id } }';

if (!REF) {
  console.error('Usage: npm run bench:versus -- <git ref>   (for example the commit a piece of work started from)');
  process.exit(2);
}

const git = (...args: string[]) => execFileSync('git', args, { cwd: HERE, encoding: 'utf8' }).trim();
const commit = git('rev-parse', '--short', `${REF}^{commit}`);
const tree = GIVEN_TREE ?? checkout(commit);

const postgres = await startBenchPostgres();
const adminUrl = await postgres.database();
const admin = new pg.Pool({ connectionString: adminUrl, max: 2 });
// Every API started, so a failed start stops the ones already running.
const apis: ChildProcess[] = [];
const arms: Arm[] = [];
try {
  arms.push(await startArm(`this tree (${git('rev-parse', '--short', 'HEAD')})`, HERE), await startArm(commit, tree));
  console.log(`createPurchase, ${CONCURRENCY} connections, ${SECONDS} s per arm and round, ${cpus().length} cores`);
  const rates = new Map(arms.map((arm) => [arm, [] as number[]]));
  const cpuMs = new Map(arms.map((arm) => [arm, [] as number[]]));
  for (let roundNo = 1; roundNo <= ROUNDS; roundNo++) {
    for (const arm of roundNo % 2 ? arms : [...arms].reverse()) {
      const figures = await measure(arm, SECONDS);
      rates.get(arm)!.push(figures.rate);
      cpuMs.get(arm)!.push(figures.cpuMs);
    }
    console.log(
      `  round ${roundNo} (load ${loadavg()[0]!.toFixed(2)}): ` +
        arms
          .map((arm) => `${arm.name} ${round(rates.get(arm)!.at(-1)!)}/s, ${round(cpuMs.get(arm)!.at(-1)!, 2)} CPU ms`)
          .join('   '),
    );
  }
  const [now, then] = arms as [Arm, Arm];
  const ratios = rates.get(now)!.map((rate, i) => rate / rates.get(then)!.at(i)!);
  const cpuRatios = cpuMs.get(then)!.map((ms, i) => ms / cpuMs.get(now)!.at(i)!);
  console.log(`Medians over ${ROUNDS} rounds:
  ${now.name}: ${round(median(rates.get(now)!))} createPurchase/s, ${round(median(cpuMs.get(now)!), 2)} CPU ms each (API + PostgreSQL)
  ${then.name}: ${round(median(rates.get(then)!))} createPurchase/s, ${round(median(cpuMs.get(then)!), 2)} CPU ms each
  speed-up: ${round(median(ratios), 2)}x the rate (rounds ${ratios.map((r) => round(r, 2)).join(', ')}), ${round(median(cpuRatios), 2)}x less CPU per mutation`);
} finally {
  for (const arm of arms) await arm.stop();
  for (const api of apis) if (api.exitCode === null) api.kill('SIGTERM');
  await admin.end();
  await postgres.stop();
  if (!GIVEN_TREE) {
    git('worktree', 'remove', '--force', tree);
    rmSync(tree, { recursive: true, force: true });
  }
}

type Arm = Awaited<ReturnType<typeof startArm>>;

/** A worktree of the commit with its own `npm ci` (the lockfile of that commit, its postinstall included). */
function checkout(ref: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `paygraph-versus-${ref}-`));
  git('worktree', 'add', '--detach', '--force', dir, ref);
  const log = path.join(dir, 'npm-ci.log');
  console.log(`Installing ${ref} in ${dir} (log: ${log})`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: dir,
    stdio: ['ignore', openSync(log, 'w'), openSync(log, 'a')],
  });
  return dir;
}

async function startArm(name: string, dir: string) {
  const database = `versus_${name.replace(/\W/g, '_')}`;
  await admin.query(`create database ${database}`);
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${database}` }).toString();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paygraph-versus-data-'));
  writeFileSync(path.join(dataDir, 'callbacks.yml'), 'callbacks: {}\n');
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'api'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      CALLBACKS_FILE: path.join(dataDir, 'callbacks.yml'),
      CALLBACK_SIGNING_SECRET: SIGNING_SECRET,
    },
  });
  apis.push(child);
  const url = `http://127.0.0.1:${port}/graphql`;
  const graphql = async (query: string, variables: object, token?: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const result = (await response.json()) as {
      data?: Record<string, { id: string; token: string }>;
      errors?: unknown;
    };
    if (result.errors) throw new Error(`${name}: ${JSON.stringify(result.errors)}`);
    return result.data!;
  };
  const answered = async () => {
    if (child.exitCode !== null) throw new Error(`${name}'s API exited before it started`);
    return graphql('{ __typename }', {}).then(
      () => true,
      () => false,
    );
  };
  await eventually(answered, Boolean, { timeoutMs: 120_000, intervalMs: 100, what: `${name}'s API to start` });
  const email = `versus-${port}@example.com`;
  const password = 'versus-benchmark';
  const { createUser } = await graphql(
    'mutation($e: String!, $p: String!) { createUser(name: "Bench", authProvider: { email: { email: $e, password: $p } }) { id } }',
    { e: email, p: password },
  );
  const { signinUser } = await graphql(
    'mutation($e: String!, $p: String!) { signinUser(email: { email: $e, password: $p }) { token } }',
    { e: email, p: password },
  );
  const body = JSON.stringify({ query: CREATE_PURCHASE, variables: { u: createUser!.id } });
  await graphql(CREATE_PURCHASE, { u: createUser!.id }, signinUser!.token);
  const reader = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const arm = {
    name,
    load: {
      url,
      connections: CONCURRENCY,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${signinUser!.token}` },
      body,
    },
    purchases: async () => Number((await reader.query<{ n: string }>('select count(*) n from "Purchase"')).rows[0]!.n),
    apiCpuMs: () => processCpuMs(child.pid!),
    async stop() {
      await reader.end();
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await runLoad({ ...arm.load, seconds: 2 }); // warm-up: V8's optimising compiler and the pools
  return arm;
}

/** Mutations per second (each checked to have written its row), and the API's and PostgreSQL's CPU milliseconds per row. */
async function measure(arm: Arm, seconds: number) {
  const [rowsBefore, apiBefore, postgresBefore] = [await arm.purchases(), arm.apiCpuMs(), await sampleCpu(admin)];
  const load = await runLoad({ ...arm.load, seconds });
  const postgresMs = cpuBetween(postgresBefore, await sampleCpu(admin)).postgresMs;
  const rows = (await arm.purchases()) - rowsBefore;
  // Requests still in flight when autocannon stops write their rows without being counted as answered.
  if (load.failed > 0 || rows < load.ok || rows > load.ok + CONCURRENCY)
    throw new Error(`${arm.name}: ${load.failed} failed, ${load.ok} answered, ${rows} purchases written`);
  return { rate: load.rate, cpuMs: (arm.apiCpuMs() - apiBefore + postgresMs) / rows };
}

function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return (fields[11]! + fields[12]!) * TICK_MS;
}
