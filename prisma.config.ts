import { defineConfig } from 'prisma/config';

// For the Prisma CLI (`prisma generate`, `prisma migrate deploy`). Paygraph itself applies the same
// migrations through the wasm schema engine (src/db/migrations.ts), which needs no native download.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Not env('DATABASE_URL'), which throws when it is unset: `prisma generate` needs no database. Migrations
  // hold a session lock: PostgreSQL itself (DATABASE_DIRECT_URL) when DATABASE_URL is a pooler.
  datasource: { url: process.env.DATABASE_DIRECT_URL || process.env.DATABASE_URL },
});
