import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runMigrations } from 'graphile-worker';
import pg from 'pg';
import { inject } from 'vitest';
import { eventually } from '../../packages/testing/eventually.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded-postgres.js';
import { applyMigrations } from '../../src/db/migrations.js';
import { TEMPLATE_DATABASE, withDatabase } from './global-setup.js';

/** A fresh database for one test file, copied from the migrated template. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `paygraph_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // PostgreSQL copies a template for one CREATE DATABASE at a time; test files start in parallel.
    await admin.query('select pg_advisory_lock(7202612)');
    await admin.query(`create database ${name} template ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(adminUrl, name),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`).finally(() => client.end());
    },
  };
}

/**
 * Resolves once some backend of the database at `url` waits for a row lock: the moment a test holding
 * a lock can take its next step. Asked on a connection of its own, outside any transaction (whose
 * view of pg_stat_activity would stay put) and beside a pool that may be busy.
 */
export async function untilSomeoneWaitsForALock(url: string, timeoutMs = 15_000): Promise<void> {
  const probe = new pg.Client({ connectionString: url });
  await probe.connect();
  try {
    const waiting = "select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'";
    await eventually(async () => (await probe.query(waiting)).rowCount, Boolean, {
      timeoutMs,
      intervalMs: 10,
      what: 'a backend waiting for a lock',
    });
  } finally {
    await probe.end();
  }
}

/**
 * A migrated PostgreSQL server of the caller's own, in a new data directory: stopping, freezing or
 * restarting it (on the same port, from dataDir) touches no other test.
 */
export async function startOwnPostgres(dataDirPrefix: string): Promise<{ dataDir: string; postgres: RunningPostgres }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), dataDirPrefix));
  const postgres = await startEmbeddedPostgres({ dataDir });
  await applyMigrations(postgres.url);
  const pool = new pg.Pool({ connectionString: postgres.url });
  await runMigrations({ pgPool: pool });
  await pool.end();
  return { dataDir, postgres };
}
