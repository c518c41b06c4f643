import pg from 'pg';
import type { ProbeTiming } from '../callbacks/timing.js';
import type { Logger } from '../../packages/base/logger.js';
import type { Check } from '../probes.js';
import { onConnectionErrors } from './connection-errors.js';

/**
 * The probes' own connections (two at most), apart from the pool that deliveries use: a readiness
 * check must not queue behind a busy worker (a replica taken out of service for being busy), and a
 * database that stops answering (frozen, or a network that drops packets) must not hold a probe, so
 * connecting and each query give up after checkMs. A query given up on closes its connection.
 */
export function createProbePool(databaseUrl: string, timing: ProbeTiming, logger: Logger) {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 2,
    connectionTimeoutMillis: timing.checkMs,
    query_timeout: timing.checkMs,
  });
  onConnectionErrors(pool, (err) => logger.debug({ err }, 'a probe connection to the database was lost'));
  const database: Check = () =>
    pool.query('select 1').then(
      () => ({ ok: true, detail: 'reachable' }),
      (err: Error) => ({
        ok: false,
        detail: /timeout/i.test(err.message) ? `no answer within ${timing.checkMs} ms` : 'unreachable',
      }),
    );
  return { pool, database, stop: () => pool.end() };
}
