import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { applyMigrations } from './migrations.js';

/** DATABASE_URL when given, else the embedded server in DATA_DIR; either way, migrated. */
export async function openDatabase(config: Config, logger: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  let url = config.DATABASE_URL;
  let stop: () => Promise<void> = async () => undefined;
  if (!url) {
    const dataDir = path.join(config.DATA_DIR, 'postgres');
    const embedded = await startEmbeddedPostgres({ dataDir });
    logger.info({ dataDir, reused: embedded.reused }, 'embedded PostgreSQL is running');
    url = embedded.url;
    stop = embedded.stop;
  }
  const applied = await applyMigrations(url);
  if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
  return { url, stop };
}
