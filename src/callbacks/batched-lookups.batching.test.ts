import { describe, expect, it } from 'vitest';
import type { Db } from '../db/client.js';
import { batchNodeLookups } from './batched-lookups.js';

// A stand-in for one Prisma model delegate that records what it was asked.
function fakeDb(rows: { id: string; amount: number }[]) {
  const calls: { op: string; args: unknown }[] = [];
  const purchase = {
    findFirst: async (args: unknown) => (calls.push({ op: 'findFirst', args }), rows[0] ?? null),
    findMany: async (args: { where: { id: { in: string[] } } }) => {
      calls.push({ op: 'findMany', args });
      return rows.filter((row) => args.where.id.in.includes(row.id));
    },
  };
  return { db: { purchase, $transaction: 'untouched' } as unknown as Db, calls };
}

const byId = (id: string, select?: Record<string, unknown>) => ({
  where: { AND: [{ id }, {}] },
  ...(select ? { select } : {}),
});

describe('batchNodeLookups: node lookups of one turn become one findMany', () => {
  it('answers each lookup with its own row, or null, from one query per selection', async () => {
    const { db, calls } = fakeDb([
      { id: 'a', amount: 1 },
      { id: 'b', amount: 2 },
    ]);
    const batched = batchNodeLookups(db);
    const results = await Promise.all([
      batched.purchase.findFirst(byId('a') as never),
      batched.purchase.findFirst(byId('b') as never),
      batched.purchase.findFirst(byId('a') as never),
      batched.purchase.findFirst(byId('missing') as never),
    ]);
    expect(results).toEqual([{ id: 'a', amount: 1 }, { id: 'b', amount: 2 }, { id: 'a', amount: 1 }, null]);
    expect(calls).toEqual([{ op: 'findMany', args: { where: { id: { in: ['a', 'b', 'missing'] } } } }]);
  });

  it('asks for the id when the selection leaves it out, and keeps selections apart', async () => {
    const { db, calls } = fakeDb([{ id: 'a', amount: 1 }]);
    const batched = batchNodeLookups(db);
    await Promise.all([
      batched.purchase.findFirst(byId('a', { amount: true }) as never),
      batched.purchase.findFirst(byId('a') as never),
    ]);
    expect(calls.map((call) => call.args)).toEqual([
      { select: { amount: true, id: true }, where: { id: { in: ['a'] } } },
      { where: { id: { in: ['a'] } } },
    ]);
  });

  it('leaves any other query alone: a condition beside the id, other arguments, other methods', async () => {
    const { db, calls } = fakeDb([{ id: 'a', amount: 1 }]);
    const batched = batchNodeLookups(db);
    await batched.purchase.findFirst({ where: { AND: [{ id: 'a' }, { userId: 'u' }] } } as never);
    await batched.purchase.findFirst({ where: { id: 'a' }, orderBy: { id: 'asc' } } as never);
    expect(calls.map((call) => call.op)).toEqual(['findFirst', 'findFirst']);
    expect((batched as unknown as { $transaction: string }).$transaction).toBe('untouched');
  });
});
