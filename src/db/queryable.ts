import type { QueryResultRow } from 'pg';
import type { Tx } from './client.js';

/**
 * What a store function needs to run its SQL: a pg `Pool` has it, and `onTransaction` gives it to a
 * Prisma transaction, so the same statement can commit on its own (the CLI) or with a request.
 */
export interface Queryable {
  query<Row extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/**
 * A request's transaction as a `Queryable`: its statements run on the transaction's connection, after
 * any written behind (./write-behind.ts), and roll back with it. Prisma's raw query answers rows only,
 * so `rowCount` counts the rows returned: a statement whose count is read returns a row per change.
 */
export function onTransaction(tx: Pick<Tx, '$queryRawUnsafe'>): Queryable {
  return {
    async query<Row extends QueryResultRow>(text: string, values: unknown[] = []) {
      const rows = await tx.$queryRawUnsafe<Row[]>(text, ...values);
      return { rows, rowCount: rows.length };
    },
  };
}
