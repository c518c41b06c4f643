import { isInputObjectType, isListType, isNonNullType, type GraphQLArgument, type GraphQLInputType } from 'graphql';

/**
 * Pothos `extensions` of an argument or input field whose value never leaves the API: a password, a
 * Stripe client secret. Marked in the schema beside the field, so a new secret is masked everywhere
 * the schema is walked (blocking hooks today) without a list kept somewhere else.
 */
export const secretValue = { secret: true } as const;

/** What a blocking hook receives in place of a secret's value; the same censor as the logger's. */
export const SECRET_MARKER = '[redacted]';

type Extensible = { extensions?: Readonly<Record<string, unknown>> | null };
const isSecret = (item: Extensible) => item.extensions?.secret === true;

/** The arguments' values with every secret given (not null) replaced by SECRET_MARKER, however deep. */
export function maskSecrets(
  args: readonly GraphQLArgument[],
  values: Record<string, unknown>,
): Record<string, unknown> {
  const byName = new Map(args.map((arg) => [arg.name, arg]));
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, masked(byName.get(name), value)]));
}

function masked(definition: (Extensible & { type: GraphQLInputType }) | undefined, value: unknown): unknown {
  if (!definition || value == null) return value;
  return isSecret(definition) ? SECRET_MARKER : maskedOfType(definition.type, value);
}

function maskedOfType(type: GraphQLInputType, value: unknown): unknown {
  if (value == null) return value;
  if (isNonNullType(type)) return maskedOfType(type.ofType, value);
  if (isListType(type))
    return Array.isArray(value)
      ? value.map((item) => maskedOfType(type.ofType, item))
      : maskedOfType(type.ofType, value);
  if (!isInputObjectType(type) || typeof value !== 'object') return value;
  const fields = type.getFields();
  return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, masked(fields[name], inner)]));
}

/** Where an argument holds a secret: ['password'] for the argument itself, ['authProvider.email.password'] inside one. */
export function secretPaths(arg: GraphQLArgument): string[] {
  if (isSecret(arg)) return [arg.name];
  const paths: string[] = [];
  const seen = new Set<string>();
  const walk = (type: GraphQLInputType, path: string) => {
    while (isNonNullType(type) || isListType(type)) type = type.ofType;
    if (!isInputObjectType(type) || seen.has(type.name)) return;
    seen.add(type.name);
    for (const field of Object.values(type.getFields())) {
      if (isSecret(field)) paths.push(`${path}.${field.name}`);
      else walk(field.type, `${path}.${field.name}`);
    }
    seen.delete(type.name);
  };
  walk(arg.type, arg.name);
  return paths;
}
