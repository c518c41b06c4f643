import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient } from '../src/db/client.js';
import { NamedStatementsClient } from '../src/db/prepared-statements.js';
import { attachTransaction, sendBehind, withWriteBehind } from '../src/db/write-behind.js';
import { createTestDatabase } from './support/database.js';

// The worker's and the API's own SQL (claims, attempt records, the sign-in throttle) goes through a
// pool of NamedStatementsClient when DATABASE_PREPARED_STATEMENTS is on: each text with values is
// parsed and planned once per connection, and answers exactly as an unnamed statement would.
describe('a pool of NamedStatementsClient', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  const prepared = async () =>
    (
      await pool.query<{ name: string; statement: string }>(
        'select name, statement from pg_prepared_statements order by prepare_time',
      )
    ).rows;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 1, Client: NamedStatementsClient });
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('prepares a statement with values once, whichever form it is sent in, and answers each time', async () => {
    const text = 'select $1::int + 1 as next';
    expect((await pool.query(text, [1])).rows).toEqual([{ next: 2 }]);
    expect((await pool.query({ text, values: [41] })).rows).toEqual([{ next: 42 }]);
    expect(
      (
        await new Promise<pg.QueryResult>((resolve, reject) =>
          pool.query(text, [9], (err, result) => (err ? reject(err) : resolve(result))),
        )
      ).rows,
    ).toEqual([{ next: 10 }]);
    const statements = (await prepared()).filter((row) => row.statement === text);
    expect(statements).toHaveLength(1);
    expect(statements[0]!.name).toMatch(/^pg_/);
  });

  it('leaves statements without values, and names given by the caller, as they are', async () => {
    await pool.query('select 1 as plain');
    await pool.query({ name: 'callers_own', text: 'select $1::text as said', values: ['hello'] });
    const statements = await prepared();
    expect(statements.some((row) => row.statement === 'select 1 as plain')).toBe(false);
    expect(statements.find((row) => row.statement === 'select $1::text as said')?.name).toBe('callers_own');
  });
});

// Behind a PgBouncer in transaction mode before 1.21 a named statement may reach another client's
// connection: with DATABASE_PREPARED_STATEMENTS off, no statement of the API's client is named, the
// ones written behind (the outbox, the locks of a settlement) included.
describe("the API's client, with prepared statements on and off", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const behind = 'select $1::int as written_behind';
  async function preparedAfterWriteBehind(preparedStatements: boolean): Promise<string[]> {
    const db = createPrismaClient(database.url, 1, { api: true, preparedStatements });
    try {
      return await withWriteBehind(() =>
        db.$transaction(async (tx) => {
          attachTransaction(tx);
          await sendBehind(tx, behind, [1]);
          const rows = await tx.$queryRawUnsafe<{ statement: string }[]>(
            'select statement from pg_prepared_statements',
          );
          return rows.map((row) => row.statement);
        }),
      );
    } finally {
      await db.$disconnect();
    }
  }

  it('names a statement written behind when on, and nothing when off', async () => {
    expect(await preparedAfterWriteBehind(true)).toContain(behind);
    expect(await preparedAfterWriteBehind(false)).toEqual([]);
  });
});
