import { describe, expect, it } from 'vitest';
import { conditionHolds, fieldsNamedIn } from './condition.js';

const purchase = (fields: Record<string, unknown>) => ({ id: 'p1', ...fields });
const facts = (
  node: Record<string, unknown> | null,
  previous: Record<string, unknown> | null,
  changedFields: string[],
) => ({
  node: node && purchase(node),
  previous: previous && purchase(previous),
  changedFields,
});

describe("conditionHolds: a callback's `when`, decided at commit", () => {
  it('changed: one of the named fields changed', () => {
    expect(conditionHolds({ changed: ['isPaid'] }, facts({ isPaid: true }, { isPaid: false }, ['isPaid']))).toBe(true);
    expect(conditionHolds({ changed: ['isPaid'] }, facts({ isPaid: false }, { isPaid: false }, ['description']))).toBe(
      false,
    );
  });

  it('node and previous compare values, dates as ISO text', () => {
    const at = new Date('2026-11-25T12:00:00Z');
    const current = facts({ isPaid: true, paidAt: at }, { isPaid: false, paidAt: null }, ['isPaid', 'paidAt']);
    expect(conditionHolds({ node: { isPaid: true }, previous: { isPaid: false } }, current)).toBe(true);
    expect(conditionHolds({ node: { paidAt: at.toISOString() } }, current)).toBe(true);
    expect(conditionHolds({ previous: { isPaid: true } }, current)).toBe(false);
    expect(conditionHolds({ previous: { isPaid: false } }, facts({ isPaid: true }, null, []))).toBe(false);
  });

  it('operators: eq, ne, in, notIn, gt, gte, lt, lte (numbers only for the order)', () => {
    const row = facts({ amount: 500, currency: 'usd' }, null, []);
    expect(conditionHolds({ node: { amount: { gt: 100, lte: 500 } } }, row)).toBe(true);
    expect(conditionHolds({ node: { amount: { gte: 501 } } }, row)).toBe(false);
    expect(conditionHolds({ node: { amount: { lt: 500 } } }, row)).toBe(false);
    expect(conditionHolds({ node: { currency: { in: ['usd', 'eur'], ne: 'gbp' } } }, row)).toBe(true);
    expect(conditionHolds({ node: { currency: { notIn: ['usd'] } } }, row)).toBe(false);
    expect(conditionHolds({ node: { currency: { gt: 1 } } }, row)).toBe(false);
    expect(conditionHolds({ node: { currency: { eq: 'usd' } } }, row)).toBe(true);
  });

  it('any and not combine conditions', () => {
    const row = facts({ amount: 50, isPaid: false }, null, ['amount']);
    expect(conditionHolds({ any: [{ node: { isPaid: true } }, { node: { amount: { lt: 100 } } }] }, row)).toBe(true);
    expect(conditionHolds({ any: [{ node: { isPaid: true } }] }, row)).toBe(false);
    expect(conditionHolds({ not: { node: { isPaid: true } } }, row)).toBe(true);
    expect(conditionHolds({ not: { changed: ['amount'] } }, row)).toBe(false);
  });

  it('a missing field counts as null', () => {
    expect(conditionHolds({ node: { stripeId: null } }, facts({}, null, []))).toBe(true);
  });
});

describe('fieldsNamedIn', () => {
  it('lists every field a condition names, nested ones too', () => {
    expect(
      fieldsNamedIn({
        changed: ['a'],
        node: { b: 1 },
        previous: { c: 1 },
        any: [{ node: { d: 1 } }],
        not: { changed: ['e'] },
      }).sort(),
    ).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
