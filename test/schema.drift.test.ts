import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';
import { applyMigrations, migrationsDir, pendingSchemaChange } from '../src/db/migrations.js';
import { findSchemaDrift } from '../src/db/schema-drift.js';
import { printedSchema } from '../src/schema/index.js';
import { createTestDatabase } from './support/database.js';

describe('what is committed matches what runs', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('prisma/migrations build exactly the database schema.prisma declares', async () => {
    expect(await findSchemaDrift(database.url)).toEqual([]);
  });

  it('schema.prisma has no change left without a migration (run `npm run db:migration -- <name>`)', async () => {
    expect(await pendingSchemaChange(database.url)).toBe('');
  });

  it('migrations are recorded in _prisma_migrations, and a second run applies nothing', async () => {
    expect(await applyMigrations(database.url)).toEqual([]);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query(
      'select migration_name, finished_at from _prisma_migrations order by migration_name',
    );
    await client.end();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.finished_at !== null)).toBe(true);
  });

  it('a migration that fails half-way leaves nothing of itself behind, and the next start applies it once fixed', async () => {
    // A copy of the migrations folder, so no other test file applying migrations sees the broken one.
    const directory = mkdtempSync(path.join(tmpdir(), 'paygraph-migrations-'));
    cpSync(migrationsDir, directory, { recursive: true });
    const name = '29991231000000_half_way';
    const script = path.join(directory, name, 'migration.sql');
    mkdirSync(path.dirname(script));
    // The division by zero stands for the moment the process died, after the first statement ran.
    writeFileSync(script, 'CREATE TABLE "half_way" ("id" INTEGER);\nSELECT 1/0;\n');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const state = async () => ({
      table: (await client.query(`select to_regclass('half_way')::text as t`)).rows[0].t,
      records: (await client.query('select finished_at from _prisma_migrations where migration_name = $1', [name])).rows
        .length,
    });
    try {
      await expect(applyMigrations(database.url, directory)).rejects.toThrow(/division by zero/);
      expect(await state()).toEqual({ table: null, records: 0 });

      writeFileSync(script, 'CREATE TABLE "half_way" ("id" INTEGER);\nSELECT 1;\n');
      expect(await applyMigrations(database.url, directory)).toEqual([name]);
      expect(await state()).toEqual({ table: 'half_way', records: 1 });
    } finally {
      await client.end();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('schema.graphql is the printed schema (run `npm run schema:print` when this fails)', () => {
    expect(readFileSync(path.join(rootDir, 'schema.graphql'), 'utf8')).toBe(`${printedSchema()}\n`);
  });
});
