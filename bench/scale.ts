import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { rootDir } from '../src/config.js';
import { eventually } from '../packages/testing/eventually.js';
import { BENCH_WAIT, SIGNING_SECRET, round, startBenchPostgres, startBenchReceiver } from './harness.js';
import { callbackYaml } from './paygraph-arms.js';

/**
 * npm run bench:scale: how the backlog drain scales with worker processes (`npm run worker`, as a
 * deployment runs them) and with the size of the backlog. For each pair, the workers start on an idle
 * database; then one transaction commits BACKLOG purchases, each with its delivery row as the outbox
 * writes it (a first attempt: no job); the clock runs from that commit to the last arrival at a local
 * receiver.
 * The rate of the first and the second half of the deliveries is printed too: it must not fall as
 * the backlog grows.
 */
const BACKLOGS = (process.env.BENCH_SCALE_BACKLOGS ?? '10000,100000').split(',').map(Number);
const WORKERS = (process.env.BENCH_SCALE_WORKERS ?? '1,2,4,8').split(',').map(Number);
const CHUNK = 5_000;

const postgres = await startBenchPostgres();
const results: string[] = [];
try {
  for (const backlog of BACKLOGS) {
    for (const workers of WORKERS) {
      const result = await drain(backlog, workers);
      const line =
        `backlog ${String(backlog).padStart(7)}  workers ${workers}  drain ${String(round(result.rate)).padStart(7)}/s` +
        `   first half ${round(result.firstHalf)}/s, second half ${round(result.secondHalf)}/s   (${round(result.seconds)} s)`;
      console.log(line);
      results.push(line);
    }
  }
  console.log(
    `\nBacklog drain by worker processes and backlog size (${process.env.CI ? 'CI' : 'this machine'}, ${cpus().length} cores):\n${results.join('\n')}`,
  );
} finally {
  await postgres.stop();
}

async function drain(backlog: number, workerCount: number) {
  const arrivals: number[] = [];
  const seen = new Set<string>();
  const receiver = await startBenchReceiver((body, at) => {
    const id = JSON.parse(body).event.id as string;
    if (!seen.has(id)) arrivals.push(at);
    seen.add(id);
  });
  const databaseUrl = await postgres.database();
  const callbacksFile = path.join(mkdtempSync(path.join(tmpdir(), 'paygraph-scale-')), 'callbacks.yml');
  writeFileSync(callbacksFile, callbackYaml(receiver.url));
  const workers = await Promise.all(Array.from({ length: workerCount }, () => startWorker(databaseUrl, callbacksFile)));
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    const committedAt = await commitBacklog(pool, backlog);
    await eventually(() => arrivals.length >= backlog, Boolean, { ...BENCH_WAIT, timeoutMs: 1_800_000 });
    const half = Math.floor(backlog / 2);
    const seconds = (arrivals[backlog - 1]! - committedAt) / 1000;
    return {
      rate: backlog / seconds,
      firstHalf: half / ((arrivals[half - 1]! - committedAt) / 1000),
      secondHalf: (backlog - half) / ((arrivals[backlog - 1]! - arrivals[half - 1]!) / 1000),
      seconds,
    };
  } finally {
    await Promise.all(workers.map(stopWorker));
    await pool.end();
    await receiver.close();
  }
}

/** One transaction: BACKLOG purchases and one delivery each. Returns the commit time. */
async function commitBacklog(pool: pg.Pool, backlog: number): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{ id: string }>(
      `insert into "User" (id, name, email, "passwordHash", "updatedAt") values ('scale-user', 'Scale', 'scale@example.com', 'x', now()) returning id`,
    );
    for (let done = 0; done < backlog; done += CHUNK) {
      await client.query(
        `with purchase as (
           insert into "Purchase" (id, description, amount, "userId", "updatedAt")
           select gen_random_uuid()::text, 'scale', 100, $1, now() from generate_series(1, $2) returning id)
         insert into callback_delivery (callback, trigger, node_id, changed_fields, max_attempts, ordered)
         select 'chargePurchase', 'Purchase.created', id, '{id,amount}', 25, false from purchase`,
        [rows[0]!.id, Math.min(CHUNK, backlog - done)],
      );
    }
    await client.query('commit');
    return performance.now();
  } finally {
    client.release();
  }
}

/** A worker process as `npm run worker` starts it; resolves once it says it is ready. */
function startWorker(databaseUrl: string, callbacksFile: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(rootDir, 'src/main.ts'), 'worker'], {
    cwd: rootDir,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      CALLBACKS_FILE: callbacksFile,
      CALLBACK_SIGNING_SECRET: SIGNING_SECRET,
      LOG_LEVEL: 'info',
    },
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('Paygraph is ready')) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve(child);
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready:\n${output}`)));
  });
}

function stopWorker(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
