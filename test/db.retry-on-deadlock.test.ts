import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRetryingDeadlocks } from '../src/db/retry-on-deadlock.js';
import { createTestDatabase, untilSomeoneWaitsForALock } from './support/database.js';

// The worker's attempt records and held-claim jobs lock delivery rows, then graphile-worker job rows;
// graphile-worker's own batches lock job rows too. When PostgreSQL breaks such a cycle by aborting
// the worker's statement, the statement runs again instead of leaving its delivery to the lease.
describe('a statement PostgreSQL aborts to break a deadlock', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let other: pg.Client;
  beforeAll(async () => {
    database = await createTestDatabase();
    // A waiting backend looks for a deadlock once, deadlock_timeout after it began to wait; the first
    // to look once the cycle is closed is aborted. The statement's side looks after 1 s, by when the
    // other side waits too (100 ms was too short on a loaded machine: nobody had closed the cycle yet,
    // so the other side found it and was aborted); the other side would look only after 30 s.
    pool = new pg.Pool({ connectionString: database.url, max: 1, options: '-c deadlock_timeout=1s' });
    other = new pg.Client({ connectionString: database.url, options: '-c deadlock_timeout=30s' });
    await other.connect();
    await other.query('create table pair (id int primary key, touched int not null default 0)');
    await other.query('insert into pair (id) values (1), (2)');
  });
  afterAll(async () => {
    await other?.end();
    await pool?.end();
    await database?.drop();
  });

  it('runs again once the other transaction is through, and its change is made once', async () => {
    await other.query('begin');
    await other.query('update pair set touched = touched + 10 where id = 2');
    // Locks row 1, then waits for row 2, which the other transaction holds.
    const statement = queryRetryingDeadlocks(pool, 'update pair set touched = touched + 1 where id = any($1::int[])', [
      [1, 2],
    ]);
    await untilSomeoneWaitsForALock(database.url);
    // The other transaction now waits for row 1: a cycle. This side's shorter deadlock_timeout makes the statement the one aborted.
    const otherUpdate = other.query('update pair set touched = touched + 10 where id = 1');
    await otherUpdate;
    await other.query('commit');
    expect((await statement).rowCount).toBe(2);
    const { rows } = await other.query('select id, touched from pair order by id');
    expect(rows).toEqual([
      { id: 1, touched: 11 },
      { id: 2, touched: 11 },
    ]);
  });
});
