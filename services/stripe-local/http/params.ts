import { z } from 'zod';
import { invalidRequest, missingParam, unknownParam } from '../errors.js';
import { indexedToArray, paramName, type FormObject } from './form-body.js';

/**
 * Parameter schemas for form-encoded values (every leaf is a string) and the one mapping of a
 * schema's complaint to Stripe's 400: `parameter_unknown`, `parameter_missing`, or the invalid
 * value, always naming the `param`.
 */
export function parse<T extends z.ZodType>(schema: T, params: FormObject): z.output<T> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') throw unknownParam(paramName([...issue.path, issue.keys[0]!]));
  const param = paramName(issue.path);
  if (valueAt(params, issue.path) === undefined) throw missingParam(param);
  const code = (issue as { params?: { stripeCode?: string } }).params?.stripeCode ?? 'parameter_invalid_string';
  const message =
    issue.code === 'custom' ? issue.message : `Invalid value for ${param}: ${describe(valueAt(params, issue.path))}`;
  throw invalidRequest(message, { param, code });
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path)
    node = typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  return node;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? value : 'a nested object where a value was expected';
}

const invalid = (ctx: z.RefinementCtx, message: string, stripeCode: string) => {
  ctx.addIssue({ code: 'custom', message, params: { stripeCode } });
  return z.NEVER;
};

export const integer = z
  .string()
  .transform((value, ctx) =>
    /^-?\d{1,15}$/.test(value) ? Number(value) : invalid(ctx, `Invalid integer: ${value}`, 'parameter_invalid_integer'),
  );

export const boolean = z
  .string()
  .transform((value, ctx) =>
    value === 'true'
      ? true
      : value === 'false'
        ? false
        : invalid(ctx, `Invalid boolean: ${value}`, 'parameter_invalid_boolean'),
  );

export const text = (max = 5_000) =>
  z
    .string()
    .transform((value, ctx) =>
      value.length <= max
        ? value
        : invalid(ctx, `Invalid string: must be at most ${max} characters`, 'parameter_invalid_string'),
    );

/** An id parameter: a string that is not empty. */
export const id = z
  .string()
  .transform((value, ctx) =>
    value.length > 0 && value.length <= 255
      ? value
      : invalid(ctx, `Invalid id: '${value}'`, 'parameter_invalid_string'),
  );

export const oneOf = <T extends string>(values: readonly T[]) =>
  z
    .string()
    .transform((value, ctx) =>
      values.includes(value as T)
        ? (value as T)
        : invalid(ctx, `Invalid value '${value}': must be one of ${values.join(', ')}`, 'parameter_invalid_string'),
    );

/** A customer's `email`: `''` clears it; anything else must look like an address (api/customers/create, `email_invalid`). */
export const email = text(512).transform((value, ctx) =>
  value === '' || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)
    ? value
    : invalid(ctx, `Invalid email address: ${value}`, 'email_invalid'),
);

/** Form objects have no prototype; z.record would build one and drop a `__proto__` key silently, so the object is kept as decoded. */
const stringRecord = z.custom<Record<string, string>>(
  (value) =>
    typeof value === 'object' && value !== null && Object.values(value).every((entry) => typeof entry === 'string'),
);

/** Stripe's metadata limits: 50 keys of at most 40 characters, values of at most 500; `metadata=` (null here) clears all. */
export const metadata = z.union([z.literal(''), stringRecord]).transform((value, ctx) => {
  if (value === '') return null;
  const entries = Object.entries(value);
  if (entries.length > 50) return invalid(ctx, 'Invalid metadata: at most 50 keys', 'parameter_invalid_string');
  for (const [key, entry] of entries) {
    if (key.length > 40)
      return invalid(
        ctx,
        `Invalid metadata: key '${key.slice(0, 45)}...' is longer than 40 characters`,
        'parameter_invalid_string',
      );
    if (entry.length > 500)
      return invalid(
        ctx,
        `Invalid metadata: the value of '${key}' is longer than 500 characters`,
        'parameter_invalid_string',
      );
  }
  return Object.assign(Object.create(null) as Record<string, string>, value);
});

export const stringArray = z.preprocess(indexedToArray, z.array(z.string()).max(100));

/** Stripe's `created` filter: a timestamp or `created[gte]=...` and friends. */
export const createdFilter = z.union([
  integer,
  z.strictObject({ gt: integer.optional(), gte: integer.optional(), lt: integer.optional(), lte: integer.optional() }),
]);

export const listShape = {
  limit: integer
    .optional()
    .transform((value, ctx) =>
      value === undefined || (value >= 1 && value <= 100)
        ? value
        : invalid(ctx, 'Invalid limit: must be between 1 and 100', 'parameter_invalid_integer'),
    ),
  starting_after: id.optional(),
  ending_before: id.optional(),
  created: createdFilter.optional(),
};

export const searchShape = {
  query: z.string(),
  limit: listShape.limit,
  page: z.string().optional(),
};

/** Apply a metadata update the way Stripe does: keys merge, an empty value removes its key. */
export function mergeMetadata(
  current: Record<string, string>,
  update: Record<string, string> | null | undefined,
): Record<string, string> {
  if (update === undefined) return current;
  // No prototype: `__proto__`, `constructor` and `prototype` are ordinary keys, as at Stripe.
  const merged = Object.create(null) as Record<string, string>;
  if (update === null) return merged;
  Object.assign(merged, current, update);
  for (const [key, value] of Object.entries(update)) if (value === '') delete merged[key];
  return merged;
}
