import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations } from './migrations.js';
import { withSchemaEngine } from './schema-engine.js';
import { readFile } from 'node:fs/promises';
import { schemaPath } from './migrations.js';

// What a schema is made of, as PostgreSQL itself reports it; Prisma's own bookkeeping left out.
const CATALOG_QUERIES = {
  enums: `select t.typname as name, array_agg(e.enumlabel order by e.enumsortorder)::text as labels
            from pg_type t join pg_enum e on e.enumtypid = t.oid
           where t.typnamespace = 'public'::regnamespace group by t.typname`,
  columns: `select table_name, column_name, data_type, udt_name, is_nullable, column_default
              from information_schema.columns where table_schema = 'public' and table_name <> '_prisma_migrations'`,
  indexes: `select tablename, indexname, indexdef from pg_indexes
             where schemaname = 'public' and tablename <> '_prisma_migrations'`,
  constraints: `select conrelid::regclass::text as on_table, conname, pg_get_constraintdef(oid) as definition
                  from pg_constraint where connamespace = 'public'::regnamespace
                   and conrelid <> coalesce(to_regclass('public._prisma_migrations'), 0)`,
};

async function describe(url: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const lines = new Set<string>();
    for (const [kind, query] of Object.entries(CATALOG_QUERIES)) {
      for (const row of (await client.query(query)).rows) lines.add(`${kind} ${JSON.stringify(row)}`);
    }
    return lines;
  } finally {
    await client.end();
  }
}

/**
 * Builds one database from prisma/migrations and another straight from schema.prisma, and returns
 * every catalog entry that only one of them has: empty when migrations and schema agree.
 */
export async function findSchemaDrift(serverUrl: string): Promise<string[]> {
  const names = ['migrated', 'declared'].map((kind) => `paygraph_drift_${kind}_${randomBytes(4).toString('hex')}`);
  const urls = names.map((name) => Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString());
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    for (const name of names) await admin.query(`create database ${name}`);
    await applyMigrations(urls[0]!);
    const schema = { path: schemaPath, content: await readFile(schemaPath, 'utf8') };
    const { stdout } = await withSchemaEngine(urls[1]!, schema, (engine) =>
      engine.diff({
        from: { tag: 'empty' },
        to: { tag: 'schemaDatamodel', files: [schema] },
        script: true,
        exitCode: null,
        shadowDatabaseUrl: null,
        filters: { externalTables: [], externalEnums: [] },
      }),
    );
    const declared = new pg.Client({ connectionString: urls[1] });
    await declared.connect();
    await declared.query(stdout ?? '').finally(() => declared.end());
    const [migrated, fromSchema] = await Promise.all(urls.map(describe));
    return [
      ...[...migrated!].filter((line) => !fromSchema!.has(line)).map((line) => `only in migrations: ${line}`),
      ...[...fromSchema!].filter((line) => !migrated!.has(line)).map((line) => `only in schema.prisma: ${line}`),
    ];
  } finally {
    for (const name of names) await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
  }
}
