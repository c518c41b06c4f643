import type { Account } from './account.js';
import { invalidRequest } from '../errors.js';

/** Fields that hold an id Stripe lets you expand; any of them may be null (nothing to expand). */
const EXPANDABLE_FIELDS = new Set([
  'customer',
  'payment_method',
  'latest_charge',
  'payment_intent',
  'charge',
  'default_source',
  'default_payment_method',
  'dispute',
  'setup_intent',
  'sources',
  'source',
]);

type Renderer = (account: Account, id: string) => object | undefined;
type Includable = (account: Account, record: { id: string }) => object;

/** Fields an object carries only when expanded (`charge.refunds` since API 2022-11-15), by object type and field. */
const includables = new Map<string, Includable>();

export function registerIncludable(objectType: string, field: string, render: Includable): void {
  includables.set(`${objectType}.${field}`, render);
}

/** Which renderer turns an id into its object, by Stripe's id prefix. */
const renderers = new Map<string, Renderer>();

export function registerExpandable(prefix: string, render: Renderer): void {
  renderers.set(prefix, render);
}

/** The object an id names, as it is now, or undefined. */
export function renderById(account: Account, id: string): object | undefined {
  return renderers.get(id.slice(0, id.indexOf('_')))?.(account, id);
}

/**
 * `expand[]=latest_charge`, `expand[]=data.customer`: ids in the response replaced by their objects,
 * up to Stripe's four levels. An id that is no expandable field is a 400, as Stripe answers.
 */
export function applyExpand(account: Account, body: object, paths: string[]): object {
  for (const path of paths) {
    const parts = path.split('.');
    if (parts.length > 4)
      throw invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${path}`, {
        param: 'expand',
      });
    expandAt(account, body, parts, path);
  }
  return body;
}

function expandAt(account: Account, node: unknown, parts: string[], path: string): void {
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  if (record.object === 'list' && Array.isArray(record.data) && parts[0] === 'data') {
    for (const item of record.data) expandAt(account, item, parts.slice(1), path);
    return;
  }
  const [field, ...rest] = parts as [string, ...string[]];
  const include = includables.get(`${String(record.object)}.${field}`);
  if (include && !(field in record)) record[field] = include(account, record as { id: string });
  const value = record[field];
  const expandable =
    include !== undefined ||
    (field in record &&
      (EXPANDABLE_FIELDS.has(field) || (typeof value === 'object' && value !== null && rest.length > 0)));
  if (!expandable) throw invalidRequest(`This property cannot be expanded (${field}).`, { param: 'expand' });
  if (typeof value === 'string') {
    const expanded = renderById(account, value);
    if (!expanded) throw invalidRequest(`This property cannot be expanded (${field}).`, { param: 'expand' });
    record[field] = expanded;
  }
  if (rest.length > 0) expandAt(account, record[field], rest, path);
}
