import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { rootDir } from '../config.js';
import { withSchemaEngine } from './schema-engine.js';

export const prismaDir = path.join(rootDir, 'prisma');
export const migrationsDir = path.join(prismaDir, 'migrations');
const schemaPath = path.join(prismaDir, 'schema.prisma');
// Any constant will do, as long as every Paygraph process uses the same one.
const MIGRATION_LOCK_KEY = 7_202_611;

/** The migration folders in the order they apply (their names start with a timestamp), with their scripts. */
async function migrationList(baseDir = migrationsDir): Promise<{ name: string; script: string }[]> {
  const entries = existsSync(baseDir) ? await readdir(baseDir, { withFileTypes: true }) : [];
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({ name, script: await readFile(path.join(baseDir, name, 'migration.sql'), 'utf8') })),
  );
}

const schemaFile = async () => ({ path: schemaPath, content: await readFile(schemaPath, 'utf8') });
const noFilters = { externalTables: [], externalEnums: [] };

/** Whether `applyMigrations` would have anything to do: a migration folder not yet applied, or a failed one. */
export async function migrationsPending(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return !(await allApplied(
      client,
      (await migrationList()).map((migration) => migration.name),
    ));
  } finally {
    await client.end();
  }
}

/**
 * `prisma migrate deploy`: applies pending migrations, recorded in `_prisma_migrations` as Prisma records
 * them. Each migration runs in one transaction with its record, which the wasm engine cannot do (it runs
 * a script statement by statement, each committed): a migration that fails or is killed half-way leaves
 * nothing behind, so the next start applies it again instead of refusing to start on a failed record.
 */
export async function applyMigrations(databaseUrl: string, directory = migrationsDir): Promise<string[]> {
  // Two processes starting at once (API and a worker) must not both apply the same migration.
  const lock = new pg.Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const migrations = await migrationList(directory);
    if (
      await allApplied(
        lock,
        migrations.map((migration) => migration.name),
      )
    )
      return [];
    await lock.query(CREATE_MIGRATIONS_TABLE);
    await refuseFailedMigrations(lock);
    const done = await finishedMigrations(lock);
    const pending = migrations.filter((migration) => !done.has(migration.name));
    for (const migration of pending) await applyMigration(lock, migration.name, migration.script);
    return pending.map((migration) => migration.name);
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}

// The table exactly as Prisma's schema engine creates it, so the Prisma CLI reads our records as its own.
const CREATE_MIGRATIONS_TABLE = `create table if not exists "_prisma_migrations" (
  "id" varchar(36) primary key not null,
  "checksum" varchar(64) not null,
  "finished_at" timestamptz,
  "migration_name" varchar(255) not null,
  "logs" text,
  "rolled_back_at" timestamptz,
  "started_at" timestamptz not null default now(),
  "applied_steps_count" integer not null default 0
)`;

/** Prisma's checksum: SHA-256 of the script with Windows line endings made Unix ones. */
const migrationChecksum = (script: string) =>
  createHash('sha256').update(script.replaceAll('\r\n', '\n')).digest('hex');

async function applyMigration(client: pg.Client, name: string, script: string): Promise<void> {
  const id = randomUUID();
  await client.query('begin');
  try {
    await client.query(
      `insert into "_prisma_migrations" (id, checksum, migration_name, started_at) values ($1, $2, $3, now())`,
      [id, migrationChecksum(script), name],
    );
    // No parameters: the simple query protocol, which runs every statement of the script in turn.
    await client.query(script);
    await client.query(
      `update "_prisma_migrations" set finished_at = clock_timestamp(), applied_steps_count = 1 where id = $1`,
      [id],
    );
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw new Error(
      `migration ${name} failed and was rolled back, nothing of it applied: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function finishedMigrations(client: pg.Client): Promise<Set<string>> {
  const { rows } = await client.query<{ migration_name: string }>(
    'select migration_name from "_prisma_migrations" where finished_at is not null and rolled_back_at is null',
  );
  return new Set(rows.map((row) => row.migration_name));
}

/**
 * A record started but neither finished nor rolled back can only come from a runner that applied part of
 * a migration (the wasm engine before, or the Prisma CLI): what it left must be undone by hand first.
 */
async function refuseFailedMigrations(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ migration_name: string }>(
    'select migration_name from "_prisma_migrations" where finished_at is null and rolled_back_at is null',
  );
  if (rows.length === 0) return;
  const names = rows.map((row) => row.migration_name).join(', ');
  throw new Error(
    `migration ${names} failed part-way in an earlier run: undo what it applied, then mark it rolled back ` +
      `(\`prisma migrate resolve --rolled-back <name>\`, or set its rolled_back_at) and start again`,
  );
}

/**
 * Every migration folder recorded as finished, and none failed: there is nothing to apply. Asked first so
 * that every start but the first on a database spawns no migration process (src/db/migrate-apart.ts).
 */
async function allApplied(client: pg.Client, names: string[]): Promise<boolean> {
  const { rows } = await client.query<{ table: string | null }>(
    `select to_regclass('_prisma_migrations')::text as table`,
  );
  if (!rows[0]?.table) return false;
  const recorded = await client.query<{ migration_name: string; done: boolean; rolled_back: boolean }>(
    'select migration_name, finished_at is not null as done, rolled_back_at is not null as rolled_back from _prisma_migrations',
  );
  // A record marked rolled back is history, as Prisma reads it: only an unresolved failure needs the runner.
  const live = recorded.rows.filter((row) => !row.rolled_back);
  if (live.some((row) => !row.done)) return false;
  const done = new Set(live.map((row) => row.migration_name));
  return names.every((name) => done.has(name));
}

// Each migration folder keeps the schema.prisma it was made from. The wasm engine cannot introspect a
// database here (its describer fails on pg_catalog's "char" columns through the pg adapter), so new
// migrations are the difference between two datamodels, which needs no database at all.
const SNAPSHOT_FILE = 'schema.prisma.snapshot';

/** The SQL from the last migration's schema to schema.prisma now; empty when nothing changed. */
export async function pendingSchemaChange(databaseUrl: string): Promise<string> {
  const last = (await migrationList()).at(-1);
  const current = await schemaFile();
  const snapshotPath = last ? path.join(migrationsDir, last.name, SNAPSHOT_FILE) : null;
  const from =
    snapshotPath && existsSync(snapshotPath)
      ? { tag: 'schemaDatamodel', files: [{ path: snapshotPath, content: await readFile(snapshotPath, 'utf8') }] }
      : { tag: 'empty' };
  const result = await withSchemaEngine(databaseUrl, current, (engine) =>
    engine.diff({
      from,
      to: { tag: 'schemaDatamodel', files: [current] },
      script: true,
      exitCode: null,
      shadowDatabaseUrl: null,
      filters: noFilters,
    }),
  );
  const sql = result.stdout ?? '';
  return /\b(CREATE|ALTER|DROP)\b/i.test(sql) ? sql : '';
}

export { SNAPSHOT_FILE, schemaPath };
