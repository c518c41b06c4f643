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

async function migrationList() {
  const lockfilePath = path.join(migrationsDir, 'migration_lock.toml');
  const entries = existsSync(migrationsDir) ? await readdir(migrationsDir, { withFileTypes: true }) : [];
  const directories = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: 'migration_lock.toml',
      content: existsSync(lockfilePath) ? await readFile(lockfilePath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      directories.map(async (directory) => ({
        path: directory,
        migrationFile: {
          path: 'migration.sql',
          content: { tag: 'ok', value: await readFile(path.join(migrationsDir, directory, 'migration.sql'), 'utf8') },
        },
      })),
    ),
  };
}

const schemaFile = async () => ({ path: schemaPath, content: await readFile(schemaPath, 'utf8') });
const noFilters = { externalTables: [], externalEnums: [] };

/** Whether `applyMigrations` would have anything to do: a migration folder not yet applied, or a failed one. */
export async function migrationsPending(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return !(await allApplied(client, (await migrationList()).migrationDirectories.map((directory) => directory.path)));
  } finally {
    await client.end();
  }
}

/** `prisma migrate deploy`: applies pending migrations, recorded in `_prisma_migrations`. */
export async function applyMigrations(databaseUrl: string): Promise<string[]> {
  // Two processes starting at once (API and a worker) must not both apply the same migration.
  const lock = new pg.Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const migrationsList = await migrationList();
    if (await allApplied(lock, migrationsList.migrationDirectories.map((directory) => directory.path))) return [];
    return await withSchemaEngine(databaseUrl, await schemaFile(), async (engine) => {
      const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilters });
      return appliedMigrationNames;
    });
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}

/**
 * Every migration folder recorded as finished, and none failed: the engine would apply nothing. Asked
 * first because loading the wasm schema engine costs a second of CPU and about 100 MB of resident
 * memory that the process keeps (its compilation's native allocations), in every process that starts
 * (npm start's worker, each restart) though only the first start on a database has anything to apply.
 */
async function allApplied(client: pg.Client, names: string[]): Promise<boolean> {
  const { rows } = await client.query<{ table: string | null }>(`select to_regclass('_prisma_migrations')::text as table`);
  if (!rows[0]?.table) return false;
  const recorded = await client.query<{ migration_name: string; done: boolean }>(
    'select migration_name, finished_at is not null and rolled_back_at is null as done from _prisma_migrations',
  );
  if (recorded.rows.some((row) => !row.done)) return false;
  const done = new Set(recorded.rows.map((row) => row.migration_name));
  return names.every((name) => done.has(name));
}

// Each migration folder keeps the schema.prisma it was made from. The wasm engine cannot introspect a
// database here (its describer fails on pg_catalog's "char" columns through the pg adapter), so new
// migrations are the difference between two datamodels, which needs no database at all.
const SNAPSHOT_FILE = 'schema.prisma.snapshot';

/** The SQL from the last migration's schema to schema.prisma now; empty when nothing changed. */
export async function pendingSchemaChange(databaseUrl: string): Promise<string> {
  const migrationsList = await migrationList();
  const last = migrationsList.migrationDirectories.at(-1);
  const current = await schemaFile();
  const snapshotPath = last ? path.join(migrationsDir, last.path, SNAPSHOT_FILE) : null;
  const from = snapshotPath && existsSync(snapshotPath)
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
