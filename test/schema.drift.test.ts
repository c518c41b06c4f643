import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';
import { applyMigrations, pendingSchemaChange } from '../src/db/migrations.js';
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
    const { rows } = await client.query('select migration_name, finished_at from _prisma_migrations order by migration_name');
    await client.end();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.finished_at !== null)).toBe(true);
  });

  it('schema.graphql is the printed schema (run `npm run schema:print` when this fails)', () => {
    expect(readFileSync(path.join(rootDir, 'schema.graphql'), 'utf8')).toBe(`${printedSchema()}\n`);
  });
});
