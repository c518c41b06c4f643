import { readFileSync } from 'node:fs';
import { invalidRequest, missingParam, StripeLocalError, unknownParam } from '../errors.js';
import { indexedToArray, type FormObject, type FormValue } from '../http/form-body.js';
import { BEYOND_SPEC } from './beyond-spec.js';
import { operationKey } from './operation-key.js';
import type { Operation, ParamSchema, TrimmedSpec } from './trimmed-spec.js';

export const spec = JSON.parse(readFileSync(new URL('./stripe-openapi.json', import.meta.url), 'utf8')) as TrimmedSpec;

/** Each operation's parameters, with those of beyond-spec.ts accepted as they are (an empty schema checks nothing). */
const operations = new Map<string, Operation>(
  Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const extra = Object.keys(BEYOND_SPEC[`${method.toUpperCase()} ${path}`] ?? {});
      const properties = { ...operation.parameters.properties, ...Object.fromEntries(extra.map((name) => [name, {}])) };
      return [
        operationKey(method, path),
        { ...operation, parameters: { ...operation.parameters, properties } },
      ] as const;
    }),
  ),
);

const byRoute = new Map<string, Operation | undefined>();

/** The spec's operation for a route the router matched (`/v1/customers/:id`); none for the test-only controls. */
export function operationOf(method: string, routePath: string): Operation | undefined {
  const route = `${method} ${routePath}`;
  if (!byRoute.has(route)) byRoute.set(route, operations.get(operationKey(method, routePath)));
  return byRoute.get(route);
}

/**
 * Stripe's checks of a request's parameters against its OpenAPI description, before the endpoint runs:
 * unknown (`parameter_unknown`), not emulated here, missing, or of the wrong type or enum value. `expand`
 * is read before (http/api-call.ts); the routes' own schemas then read the values and check what the spec cannot.
 */
export function validateParams(method: string, routePath: string, params: FormObject): void {
  const operation = operationOf(method, routePath);
  if (operation) checkObject(operation.parameters, params, '');
}

function notEmulated(param: string): StripeLocalError {
  return new StripeLocalError(400, {
    type: 'invalid_request_error',
    code: 'parameter_not_emulated',
    message: `${param} is a parameter of Stripe's API that is not emulated by stripe-local (see its spec/not-emulated.ts).`,
    param,
  });
}

/** `card[number]`: the name Stripe reports, built as the walk goes down. */
const nested = (name: string, key: string) => (name === '' ? key : `${name}[${key}]`);

function checkObject(schema: ParamSchema, value: FormObject, name: string): void {
  const properties = schema.properties ?? {};
  for (const key in value) {
    const property = Object.hasOwn(properties, key) ? properties[key] : schema.additionalProperties;
    if (!property) throw unknownParam(nested(name, key));
    if (property['x-not-emulated']) throw notEmulated(nested(name, key));
    check(property, value[key]!, nested(name, key));
  }
  for (const key of schema.required ?? []) if (!(key in value)) throw missingParam(nested(name, key));
}

function check(schema: ParamSchema, value: FormValue, param: string): void {
  if ((value === '' && schema.emptyable) || (!schema.type && !schema.anyOf)) return;
  if (schema.anyOf) return checkAnyOf(schema.anyOf, value, param);
  switch (schema.type) {
    case 'object':
      if (typeof value !== 'object')
        throw invalidRequest('Invalid object', { param, code: 'parameter_invalid_string' });
      return checkObject(schema, value, param);
    case 'array': {
      const items = indexedToArray(value);
      if (!Array.isArray(items)) throw invalidRequest('Invalid array', { param, code: 'parameter_invalid_string' });
      return items.forEach((item: FormValue, index) => check(schema.items!, item, nested(param, String(index))));
    }
    case 'integer':
      if (typeof value !== 'string' || !/^-?\d{1,15}$/.test(value))
        throw invalidRequest(`Invalid integer: ${shown(value)}`, { param, code: 'parameter_invalid_integer' });
      return;
    case 'boolean':
      if (value !== 'true' && value !== 'false')
        throw invalidRequest(`Invalid boolean: ${shown(value)}`, { param, code: 'parameter_invalid_boolean' });
      return;
    default:
      if (typeof value !== 'string')
        throw invalidRequest(`Invalid value for ${param}: ${shown(value)}`, {
          param,
          code: 'parameter_invalid_string',
        });
      if (schema.enum && !schema.enum.includes(value))
        throw invalidRequest(`Invalid ${param}: must be one of ${listed(schema.enum)}`, {
          param,
          code: 'parameter_invalid_string',
        });
  }
}

/** The first branch the value fits; if none, the complaint of a branch of the value's own kind (string or object). */
function checkAnyOf(branches: ParamSchema[], value: FormValue, param: string): void {
  let complaint: { error: unknown; sameKind: boolean } | undefined;
  for (const branch of branches) {
    try {
      return check(branch, value, param);
    } catch (error) {
      const sameKind = (typeof value === 'object') === (branch.type === 'object' || branch.type === 'array');
      if (!complaint || (sameKind && !complaint.sameKind)) complaint = { error, sameKind };
    }
  }
  throw complaint!.error;
}

const shown = (value: FormValue) => (typeof value === 'string' ? value : 'a nested object where a value was expected');

/** Stripe's way of listing enum values: `a, b, or c`. */
function listed(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')}, or ${values.at(-1)}`;
}
