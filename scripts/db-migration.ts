import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { pendingSchemaChange, migrationsDir, schemaPath, SNAPSHOT_FILE } from '../src/db/migrations.js';
import { createLogger } from '../packages/base/logger.js';

/** `npm run db:migration -- <name>`: writes the SQL from the migrations to schema.prisma as a new migration. */
const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('Usage: npm run db:migration -- <name in snake_case>');
  process.exit(2);
}
const database = await openDatabase(loadConfig(), createLogger('warn'));
try {
  const sql = await pendingSchemaChange(database.url);
  if (!sql) {
    console.log('No changes: schema.prisma and prisma/migrations agree.');
  } else {
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const directory = path.join(migrationsDir, `${stamp}_${name}`);
    mkdirSync(directory, { recursive: true });
    writeFileSync(path.join(directory, 'migration.sql'), sql);
    copyFileSync(schemaPath, path.join(directory, SNAPSHOT_FILE));
    writeFileSync(path.join(migrationsDir, 'migration_lock.toml'), 'provider = "postgresql"\n');
    console.log(`Wrote ${path.relative(process.cwd(), directory)}/migration.sql`);
  }
} finally {
  await database.stop();
}
