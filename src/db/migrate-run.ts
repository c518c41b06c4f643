import { applyMigrations } from './migrations.js';

// Run by migrate-apart.ts: applies the pending migrations of DATABASE_URL and prints their names as JSON.
const applied = await applyMigrations(process.env.DATABASE_URL!);
process.stdout.write(JSON.stringify(applied));
// The wasm schema engine leaves its 10 s lock-timeout timer running (its glue never clears timers).
process.exit(0);
