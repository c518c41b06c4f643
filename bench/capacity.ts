import type pg from 'pg';
import { round } from './harness.js';

/**
 * BENCH_E2E_CAPACITY=1 (npm run bench:capacity): what one paid purchase costs PostgreSQL in counts
 * that do not depend on the machine's load (statements by kind, round trips, rows, WAL bytes), for
 * docs/capacity.md's projections. Needs pg_stat_statements (track = all) loaded by the caller.
 */

// The benchmark's own queries (its watch on purchases, its CPU and memory sampling) are no part of a purchase.
const BENCH_OWN = [
  'select id from "Purchase" where id = any($1) and "isPaid"',
  'select pid from pg_stat_activity',
  'pg_stat_statements',
  'pg_current_wal_lsn',
  'LISTEN paygraph_change',
];

export interface CapacityStart {
  lsn: string;
}

/** Forgets the statements so far and notes where the WAL stands: the figures count from here. */
export async function startCapacity(reader: pg.Pool): Promise<CapacityStart> {
  await reader.query('select pg_stat_statements_reset()');
  const { rows } = await reader.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
  return { lsn: rows[0]!.lsn };
}

interface StatementRow {
  query: string;
  toplevel: boolean;
  calls: number;
  rows: number;
}

/** The first SQL keyword, or the statement a `with` ends in: what kind of work the database did. */
export function kindOf(query: string): string {
  const text = query.trim().toLowerCase();
  const first = /^[a-z]+/.exec(text)?.[0] ?? 'other';
  if (first !== 'with') return first;
  // The last data-changing verb outside the CTEs names the statement; a read-only `with` is a select.
  return /\)\s*(insert|update|delete|select)\b[^()]*$/.exec(text)?.[1] ?? 'with';
}

/** Per purchase since `start`: lines to print, PostgreSQL's counts and the CPU of every process. */
export async function capacityReport(
  reader: pg.Pool,
  start: CapacityStart,
  purchases: number,
  cpuMs: Map<string, number>,
): Promise<string> {
  const { rows: statements } = await reader.query<StatementRow>(
    `select query, toplevel, calls::int as calls, rows::int as rows from pg_stat_statements
      where dbid = (select oid from pg_database where datname = current_database())`,
  );
  const own = statements.filter((s) => !BENCH_OWN.some((text) => s.query.includes(text)));
  const {
    rows: [wal],
  } = await reader.query<{ bytes: string }>('select pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::text as bytes', [
    start.lsn,
  ]);
  const per = (n: number, digits = 2) => round(n / purchases, digits);
  const byKind = new Map<string, { calls: number; rows: number }>();
  let roundTrips = 0;
  let nested = 0;
  for (const s of own) {
    // A client's statement is one round trip (neither pg nor Prisma pipelines); one a function runs inside PostgreSQL is none.
    if (!s.toplevel) {
      nested += s.calls;
      continue;
    }
    roundTrips += s.calls;
    const kind = byKind.get(kindOf(s.query)) ?? { calls: 0, rows: 0 };
    byKind.set(kindOf(s.query), { calls: kind.calls + s.calls, rows: kind.rows + s.rows });
  }
  const top = own
    .filter((s) => s.toplevel)
    .sort((a, b) => b.calls - a.calls)
    .slice(0, 20)
    .map((s) => `    ${per(s.calls)}\t${per(s.rows)}\t${s.query.replace(/\s+/g, ' ').slice(0, 130)}`);
  const cpuTotal = [...cpuMs.values()].reduce((sum, ms) => sum + ms, 0);
  return [
    `Per paid purchase, over ${purchases} purchases (BENCH_E2E_CAPACITY; counts do not depend on the machine's load, CPU does):`,
    `  round trips (client statements, BEGIN/COMMIT included): ${per(roundTrips)}; statements run inside functions: ${per(nested)}`,
    `  by kind (calls, rows): ${[...byKind]
      .sort((a, b) => b[1].calls - a[1].calls)
      .map(([kind, { calls, rows }]) => `${kind} ${per(calls)} (${per(rows)})`)
      .join(', ')}`,
    `  WAL bytes: ${per(Number(wal!.bytes), 0)}`,
    `  CPU ms: ${[...cpuMs]
      .filter(([, ms]) => ms > 0)
      .map(([name, ms]) => `${name} ${per(ms)}`)
      .join(', ')}, all ${per(cpuTotal)}`,
    `  statements by calls per purchase (calls, rows, query):`,
    ...top,
  ].join('\n');
}
