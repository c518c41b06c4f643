import type pg from 'pg';

/**
 * Hands every error of the pool's connections, idle or checked out, to `handle`: a connection lost
 * while the database restarts is then reported instead of crashing the process, and graphile-worker
 * no longer warns about a pool whose connections have no error handlers. Queries on a lost connection
 * still fail, and their callers retry them.
 */
export function onConnectionErrors(pool: pg.Pool, handle: (err: Error) => void): pg.Pool {
  pool.on('error', handle);
  pool.on('connect', (client) => client.on('error', handle));
  return pool;
}
