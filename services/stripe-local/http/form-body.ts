import { invalidRequest } from '../errors.js';

/** Decoded form parameters: strings, nested objects; arrays stay index-keyed objects until a schema asks for an array. */
export type FormValue = string | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

const MAX_DEPTH = 8;
const MAX_PAIRS = 2_000;
const SEGMENT = /\[([^[\]]*)\]/y;

/**
 * `a[b][c]=1&list[0]=x&list[]=y`, the way Stripe's SDKs encode parameters, into nested objects.
 * Objects have no prototype, so a key like `__proto__` is only a key; conflicting keys are a 400.
 */
export function decodeForm(text: string): FormObject {
  const root: FormObject = Object.create(null);
  let pairs = 0;
  for (const [name, value] of new URLSearchParams(text)) {
    if (++pairs > MAX_PAIRS) throw invalidRequest(`Too many parameters: at most ${MAX_PAIRS}.`);
    const path = keyPath(name);
    let node = root;
    for (let i = 0; i < path.length - 1; i++) {
      const segment = path[i] === '' ? String(nextIndex(node)) : path[i]!;
      const child = node[segment] ?? (node[segment] = Object.create(null) as FormObject);
      if (typeof child === 'string')
        throw invalidRequest(`Invalid parameter: ${name} conflicts with ${path.slice(0, i + 1).join('.')}`, {
          param: name,
        });
      node = child;
    }
    const last = path.at(-1) === '' ? String(nextIndex(node)) : path.at(-1)!;
    if (typeof node[last] === 'object')
      throw invalidRequest(`Invalid parameter: ${name} conflicts with a nested parameter`, { param: name });
    node[last] = value;
  }
  return root;
}

function keyPath(name: string): string[] {
  const open = name.indexOf('[');
  if (open === 0 || name === '') throw invalidRequest(`Invalid parameter name: '${name}'`, { param: name });
  if (open < 0) return [name];
  const path = [name.slice(0, open)];
  SEGMENT.lastIndex = open;
  while (SEGMENT.lastIndex < name.length) {
    const match = SEGMENT.exec(name);
    if (!match) throw invalidRequest(`Invalid parameter name: '${name}'`, { param: name });
    path.push(match[1]!);
  }
  if (path.length > MAX_DEPTH) throw invalidRequest(`Parameter nested too deeply: '${name}'`, { param: name });
  return path;
}

function nextIndex(node: FormObject): number {
  let index = 0;
  while (index in node) index++;
  return index;
}

/** `list[0]=a&list[1]=b` (an index-keyed object) as an array; anything else unchanged, for the schema to refuse. */
export function indexedToArray(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (!keys.every((key, position) => key === String(position))) return value;
  return keys.map((key) => (value as FormObject)[key]);
}

/** The name Stripe reports for a nested parameter: `card[token]`, `expand[0]`. */
export function paramName(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (index === 0 ? String(part) : `[${String(part)}]`)).join('');
}
