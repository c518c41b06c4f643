import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { createLogger } from '../packages/base/logger.js';

// openDatabase applies what is pending; this script only reports it.
const database = await openDatabase(loadConfig(), createLogger('info'));
console.log('The database is up to date with prisma/migrations.');
await database.stop();
// The wasm schema engine leaves its 10 s lock-timeout timer running (its glue never clears timers).
process.exit(0);
