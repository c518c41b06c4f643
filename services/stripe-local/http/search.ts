import { z } from 'zod';
import { invalidRequest } from '../errors.js';
import { parse, searchShape } from './params.js';
import type { FormObject } from './form-body.js';
import type { Account } from '../resources/account.js';

interface Clause {
  negate: boolean;
  field: string;
  metadataKey?: string;
  operator: ':' | '~' | '>' | '<' | '>=' | '<=';
  value: string;
}

/** The value of a searchable field of a record; `metadata` is looked up by key. */
export type SearchFields<T> = Record<string, (record: T, metadataKey?: string) => string | number | null | undefined>;

const CLAUSE =
  /\s*(-)?(metadata\[(['"])(.*?)\3\]|[a-z_]+)\s*(>=|<=|:|~|>|<)\s*(?:(['"])((?:\\.|(?!\6).)*)\6|(-?\d+(?:\.\d+)?))\s*/y;
const JOIN = /(AND|OR)\b/y;

/** Stripe's search query language: `email:'a@b.c' AND metadata['k']:'v'`, `amount>1000`, `-status:'canceled'`, `name~'jen'`. */
function parseQuery(query: string): { clauses: Clause[]; join: 'AND' | 'OR' } {
  const clauses: Clause[] = [];
  let join: 'AND' | 'OR' | undefined;
  let at = 0;
  while (at < query.length) {
    CLAUSE.lastIndex = at;
    const match = CLAUSE.exec(query);
    if (!match) throw badQuery(query, at);
    const [, negate, field, , metadataKey, operator, , quoted, number] = match;
    clauses.push({
      negate: negate === '-',
      field: metadataKey !== undefined ? 'metadata' : field!,
      ...(metadataKey !== undefined && { metadataKey }),
      operator: operator as Clause['operator'],
      value: quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : number!,
    });
    at = CLAUSE.lastIndex;
    if (at >= query.length) break;
    JOIN.lastIndex = at;
    const joined = JOIN.exec(query);
    if (!joined) throw badQuery(query, at);
    if (join && join !== joined[1]) throw invalidRequest('Search queries cannot mix AND and OR.', { param: 'query' });
    join = joined[1] as 'AND' | 'OR';
    at = JOIN.lastIndex;
  }
  if (clauses.length === 0) throw badQuery(query, 0);
  if (clauses.length > 10) throw invalidRequest('Search queries can have at most 10 clauses.', { param: 'query' });
  return { clauses, join: join ?? 'AND' };
}

function badQuery(query: string, at: number): Error {
  return invalidRequest(`Invalid search query: could not parse '${query}' at position ${at}.`, {
    param: 'query',
    code: 'parameter_invalid_string',
  });
}

function clauseMatcher<T>(clause: Clause, fields: SearchFields<T>): (record: T) => boolean {
  const read = fields[clause.field];
  if (!read)
    throw invalidRequest(`Field '${clause.field}' is not supported in search queries on this resource.`, {
      param: 'query',
    });
  const test = (record: T): boolean => {
    const value = read(record, clause.metadataKey);
    if (value === null || value === undefined) return false;
    if (clause.operator === ':') return String(value).toLowerCase() === clause.value.toLowerCase();
    if (clause.operator === '~') return String(value).toLowerCase().includes(clause.value.toLowerCase());
    const [left, right] = [Number(value), Number(clause.value)];
    return clause.operator === '>'
      ? left > right
      : clause.operator === '<'
        ? left < right
        : clause.operator === '>='
          ? left >= right
          : left <= right;
  };
  return clause.negate ? (record) => !test(record) : test;
}

const searchParams = z.strictObject(searchShape);

/**
 * `GET /v1/<type>/search`: newest first, one page of `limit`, `next_page` as an opaque offset; objects written
 * within the account's search lag are not found yet.
 */
export function search<T extends { id: string }>(
  account: Account,
  params: FormObject,
  url: string,
  records: Iterable<T>,
  fields: SearchFields<T>,
  render: (record: T) => object,
) {
  const { query, limit = 10, page } = parse(searchParams, params);
  const { clauses, join } = parseQuery(query);
  const tests = clauses.map((clause) => clauseMatcher(clause, fields));
  const matches =
    join === 'AND'
      ? (record: T) => tests.every((test) => test(record))
      : (record: T) => tests.some((test) => test(record));
  const offset = page === undefined ? 0 : Number.parseInt(Buffer.from(page, 'base64url').toString(), 10);
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalidRequest('Invalid page token.', { param: 'page' });
  const data: object[] = [];
  let seen = 0;
  let hasMore = false;
  for (const record of records) {
    if (!account.searchFreshness.shows(record) || !matches(record)) continue;
    if (seen++ < offset) continue;
    if (data.length === limit) {
      hasMore = true;
      break;
    }
    data.push(render(record));
  }
  const nextPage = hasMore ? Buffer.from(String(offset + limit)).toString('base64url') : null;
  return { object: 'search_result', data, has_more: hasMore, next_page: nextPage, url };
}
