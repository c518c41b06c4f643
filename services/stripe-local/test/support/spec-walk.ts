import type { ParamSchema } from '../../spec/trimmed-spec.js';

/** One documented parameter, down to a value, with the form pairs of a request that sends it (and what it requires). */
export interface DocumentedParam {
  name: string;
  /** Listed in spec/not-emulated.ts: the walk does not go inside it. */
  notEmulated: boolean;
  /** A value where the parameter may also be an object (`card=tok_x` or `card[number]=…`): one form is enough. */
  alternative?: true;
  pairs: [string, string][];
}

const at = (name: string, key: string) => (name === '' ? key : `${name}[${key}]`);

/** A value the spec allows, chosen so that the route's own checks pass where they can. */
function scalar(schema: ParamSchema, name: string): string {
  // `card` where it is a value: the one payment method type the emulator has.
  if (schema.enum) return schema.enum.includes('card') ? 'card' : schema.enum[0]!;
  if (schema.type === 'integer') return '10';
  if (schema.type === 'boolean') return 'false';
  const last = name.replace(/\]$/, '').split('[').at(-1)!;
  const byName: Record<string, string> = {
    query: "metadata['key']:'value'",
    object: 'card',
    exp_month: '12',
    exp_year: '2040',
    currency: 'usd',
    url: 'https://example.com/hook',
    return_url: 'https://example.com/return',
    email: 'someone@example.com',
  };
  return byName[last] ?? 'x';
}

/** The smallest value of a schema: its required parts only. */
export function sample(schema: ParamSchema, name: string): [string, string][] {
  if (schema.anyOf) return sample(schema.anyOf[0]!, name);
  if (schema.type === 'array') return sample(schema.items!, at(name, '0'));
  if (schema.type === 'object' && schema.additionalProperties)
    return sample(schema.additionalProperties, at(name, 'key'));
  if (schema.type === 'object') return requiredPairs(schema, name, '');
  return [[name, scalar(schema, name)]];
}

/** The required siblings of `except`; an object with none required is sent with its first property, as it may not be empty. */
function requiredPairs(schema: ParamSchema, name: string, except: string): [string, string][] {
  const required = (schema.required ?? []).filter((key) => key !== except);
  const [first] = Object.keys(schema.properties ?? {});
  const keys = required.length || except || name === '' || !first ? required : [first];
  return keys.flatMap((key) => sample(schema.properties![key]!, at(name, key)));
}

/** Every documented parameter under `schema`, to each leaf (or to a parameter listed as not emulated). */
export function documentedParams(schema: ParamSchema, name = ''): DocumentedParam[] {
  if (schema['x-not-emulated']) return [{ name, notEmulated: true, pairs: [[name, 'x']] }];
  // No type: one of spec/beyond-spec.ts, which Stripe does not document for this version.
  if (!schema.type && !schema.anyOf) return [];
  if (schema.anyOf) {
    const hasObject = schema.anyOf.some((branch) => branch.type === 'object');
    return schema.anyOf.flatMap((branch) =>
      documentedParams(branch, name).map((param) =>
        hasObject && branch.type !== 'object' ? { ...param, alternative: true as const } : param,
      ),
    );
  }
  if (schema.type === 'array') return documentedParams(schema.items!, at(name, '0'));
  if (schema.type === 'object' && schema.additionalProperties)
    return documentedParams(schema.additionalProperties, at(name, 'key'));
  if (schema.type === 'object')
    return Object.entries(schema.properties ?? {}).flatMap(([key, property]) =>
      documentedParams(property, at(name, key)).map((param) => ({
        ...param,
        pairs: [...requiredPairs(schema, name, key), ...param.pairs],
      })),
    );
  return [{ name, notEmulated: false, pairs: [[name, scalar(schema, name)]] }];
}
