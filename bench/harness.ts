import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startPaygraph, type Paygraph } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { applyMigrations } from '../src/db/migrations.js';
import { limitHeapGrowth } from '../src/heap-growth.js';
import { createLogger } from '../packages/base/logger.js';
import { listen } from '../packages/testing/listen.js';
import type { EventuallyOptions } from '../packages/testing/eventually.js';

// Paygraph's processes start with this heap setting (main.ts); the benchmarks measure it as shipped,
// and every arm of a benchmark's process, peers' included, runs under the same one.
limitHeapGrowth(loadConfig().HEAP_GROWING_PERCENT);

export const SIGNING_SECRET = `whsec_${Buffer.from('paygraph-bench-signing-secret-32').toString('base64')}`;

export type BenchPostgres = Awaited<ReturnType<typeof startBenchPostgres>>;

/** One embedded PostgreSQL for a benchmark run; each `database()` is fresh and migrated. */
export async function startBenchPostgres(settings?: Record<string, string>) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paygraph-bench-pg-'));
  const server = await startEmbeddedPostgres({ dataDir, settings });
  let count = 0;
  return {
    async database(): Promise<string> {
      const name = `bench_${++count}`;
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      const url = Object.assign(new URL(server.url), { pathname: `/${name}` }).toString();
      await applyMigrations(url);
      return url;
    },
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startBenchPaygraph(
  databaseUrl: string,
  callbacksYaml: string,
  roles = { api: true, worker: true },
  env: Record<string, string> = {},
): Promise<Paygraph> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'paygraph-bench-')), 'callbacks.yml');
  writeFileSync(file, callbacksYaml);
  const fullEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', CALLBACKS_FILE: file, LOG_LEVEL: 'silent', ...env };
  return startPaygraph({
    config: loadConfig(fullEnv),
    databaseUrl,
    signingSecret: SIGNING_SECRET,
    logger: createLogger('silent'),
    roles,
    env: fullEnv,
  });
}

/** A receiver that answers 200 at once and calls `onRequest` with the arrival time. */
export async function startBenchReceiver(onRequest: (body: string, at: number) => void) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      onRequest(Buffer.concat(chunks).toString(), performance.now());
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  const { url, close } = await listen({ server });
  return { url, close };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export const median = (values: number[]) => percentile(values, 50);
export const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** How a benchmark waits with eventually(): every few milliseconds, since the wait is part of what it measures. */
export const BENCH_WAIT = {
  intervalMs: 2,
  timeoutMs: 120_000,
  what: 'benchmark condition',
} satisfies EventuallyOptions;
