import type { Condition } from './definition.js';
import type { NodeRow } from './events.js';

type Comparable = string | number | boolean | null;

/** Decides at commit time whether an event concerns a callback, from the node and what changed. */
export function conditionHolds(
  condition: Condition,
  facts: { node: NodeRow | null; previous: NodeRow | null; changedFields: readonly string[] },
): boolean {
  if (condition.changed && !condition.changed.some((field) => facts.changedFields.includes(field))) return false;
  if (condition.node && !fieldsMatch(condition.node, facts.node)) return false;
  if (condition.previous && !fieldsMatch(condition.previous, facts.previous)) return false;
  if (condition.any && !condition.any.some((part) => conditionHolds(part, facts))) return false;
  if (condition.not && conditionHolds(condition.not, facts)) return false;
  return true;
}

/** Every field a condition names, so the loader can check them against the model. */
export function fieldsNamedIn(condition: Condition): string[] {
  return [
    ...(condition.changed ?? []),
    ...Object.keys(condition.node ?? {}),
    ...Object.keys(condition.previous ?? {}),
    ...(condition.any ?? []).flatMap(fieldsNamedIn),
    ...(condition.not ? fieldsNamedIn(condition.not) : []),
  ];
}

function fieldsMatch(expected: NonNullable<Condition['node']>, row: NodeRow | null): boolean {
  if (!row) return false;
  return Object.entries(expected).every(([field, test]) => {
    const actual = comparable(row[field]);
    if (test === null || typeof test !== 'object') return actual === test;
    return (
      (test.eq === undefined || actual === test.eq) &&
      (test.ne === undefined || actual !== test.ne) &&
      (test.in === undefined || test.in.includes(actual)) &&
      (test.notIn === undefined || !test.notIn.includes(actual)) &&
      (test.gt === undefined || (typeof actual === 'number' && actual > test.gt)) &&
      (test.gte === undefined || (typeof actual === 'number' && actual >= test.gte)) &&
      (test.lt === undefined || (typeof actual === 'number' && actual < test.lt)) &&
      (test.lte === undefined || (typeof actual === 'number' && actual <= test.lte))
    );
  });
}

function comparable(value: unknown): Comparable {
  if (value instanceof Date) return value.toISOString();
  if (value === undefined) return null;
  return typeof value === 'object' ? JSON.stringify(value) : (value as Comparable);
}
