import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runMigrations } from 'graphile-worker';
import type { TestProject } from 'vitest/node';
import { onConnectionErrors } from '../../src/db/connection-errors.js';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { applyMigrations } from '../../src/db/migrations.js';

export const TEMPLATE_DATABASE = 'paygraph_template';

/**
 * One PostgreSQL for the whole run (TEST_DATABASE_URL's server when given, such as the PostgreSQL 15
 * of `npm run test:postgres15`, else DATABASE_URL's, else an embedded one), and a template database
 * with every migration applied, so each test file gets its own copy in milliseconds. The URL is an
 * admin's: the run creates and drops databases on that server.
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  let stop = async () => undefined as void;
  let dataDir: string | undefined;
  if (!adminUrl) {
    dataDir = mkdtempSync(path.join(tmpdir(), 'paygraph-test-pg-'));
    const server = await startEmbeddedPostgres({ dataDir });
    adminUrl = server.url;
    stop = server.stop;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
  await admin.query(`create database ${TEMPLATE_DATABASE}`);
  await admin.end();
  const templateUrl = withDatabase(adminUrl, TEMPLATE_DATABASE);
  await applyMigrations(templateUrl);
  const templatePool = new pg.Pool({ connectionString: templateUrl });
  onConnectionErrors(templatePool, () => undefined);
  await runMigrations({ pgPool: templatePool });
  await templatePool.end();
  // The schema engine's own connections may linger; a template must have none to be copied.
  const closer = new pg.Client({ connectionString: adminUrl });
  await closer.connect();
  await closer.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [TEMPLATE_DATABASE]);
  await closer.end();
  project.provide('adminDatabaseUrl', adminUrl);

  return async () => {
    await stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}
