import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { Logger } from '../../packages/base/logger.js';

/**
 * This process's name at the database: its pool's application_name, so a lease records who took it
 * (claims.ts), and with " presence" the name of the one session that says it is alive.
 */
export const PROCESS_NAME = `paygraph-${randomBytes(5).toString('hex')}`;

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10_000;

/**
 * Keeps a session open whose end tells the other workers that this one died (kill -9, a lost machine):
 * PostgreSQL closes it with the process, so its deliveries are taken over in seconds, not when their
 * leases run out (dead-workers.ts). Needs a session: behind a transaction pooler, a direct URL.
 */
export function startWorkerPresence(databaseUrl: string, logger: Logger): { stop(): Promise<void> } {
  let client: pg.Client | null = null;
  let stopping = false;
  let retryMs = RECONNECT_FIRST_MS;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl, application_name: `${PROCESS_NAME} presence` });
    next.on('error', () => undefined);
    next.once('end', () => {
      if (client === next) client = null;
      if (!stopping) retry();
    });
    try {
      await next.connect();
      await next.query(
        `insert into callback_worker (name, host, pid) values ($1, $2, $3)
           on conflict (name) do update set missing_since = null`,
        [PROCESS_NAME, hostname(), process.pid],
      );
      client = next;
      retryMs = RECONNECT_FIRST_MS;
    } catch (err) {
      logger.debug({ err }, 'worker presence: cannot reach the database; trying again');
      await next.end().catch(() => undefined);
      if (!stopping) retry();
    }
  };
  const retry = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void connect(), retryMs);
    retryMs = Math.min(RECONNECT_MAX_MS, retryMs * 2);
  };

  void connect();
  return {
    async stop() {
      stopping = true;
      clearTimeout(timer);
      const last = client;
      client = null;
      if (!last) return;
      // A clean stop leaves nothing to take over.
      await last.query('delete from callback_worker where name = $1', [PROCESS_NAME]).catch(() => undefined);
      await last.end().catch(() => undefined);
    },
  };
}
