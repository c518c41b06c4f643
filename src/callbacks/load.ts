import { existsSync, readFileSync } from 'node:fs';
import { getNamedType, isLeafType, isObjectType, type GraphQLSchema } from 'graphql';
import { parse as parseYaml } from 'yaml';
import { fieldsNamedIn } from './condition.js';
import { callbackEntrySchema, type CallbackEntry, type Condition } from './definition.js';
import { isBuiltinTrigger, type BuiltinTrigger, type ModelName, type Operation, type Trigger } from './events.js';
import { PayloadError, compileBuiltinPayload, compilePayload, type CompiledPayload } from './payload.js';

/** A callback ready to run: validated against the live schema, its payload query compiled once. */
export interface CallbackDefinition {
  name: string;
  trigger: Trigger | BuiltinTrigger;
  url: string;
  headers: Record<string, string>;
  payload: CompiledPayload;
  when?: Condition;
  timeoutMs: number;
  maxAttempts: number;
  ordered: boolean;
  enabled: boolean;
  /**
   * From callbacks.yml: each signs every request, two or more while a receiver moves to a new one.
   * Null: the callback signs with its own stored secrets (store/secrets.ts).
   */
  secrets: string[] | null;
  /** Deliveries in flight to the endpoint at once, across all workers; null: no limit but the workers' own. */
  maxInFlight: number | null;
  /** Deliveries started per second, across all workers; null: no limit. */
  ratePerSecond: number | null;
  /** Failing without a success for this long switches the callback off; null: never. */
  disableAfterFailingForMs: number | null;
}

export class CallbacksConfigError extends Error {
  constructor(
    readonly problems: string[],
    file: string,
  ) {
    super(`${file} is not valid:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * Reads callbacks.yml; any problem stops the start with every problem listed, each naming its callback.
 * `sharedSecret` (CALLBACK_SIGNING_SECRET, given or generated) is what `${CALLBACK_SIGNING_SECRET}`
 * stands for in the file; a callback signs with it only when its entry says so.
 */
export function loadCallbacks(options: {
  file: string;
  schema: GraphQLSchema;
  sharedSecret: string;
  env?: NodeJS.ProcessEnv;
}): CallbackDefinition[] {
  if (!existsSync(options.file)) return [];
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(options.file, 'utf8'));
  } catch (error) {
    throw new CallbacksConfigError([`not valid YAML: ${(error as Error).message}`], options.file);
  }
  const problems: string[] = [];
  if (
    raw != null &&
    (!isRecord(raw) ||
      Object.keys(raw).some((key) => key !== 'callbacks' && key !== 'hooks') ||
      (raw.callbacks != null && !isRecord(raw.callbacks)))
  ) {
    problems.push('the file has two top-level keys, "callbacks" and "hooks", each mapping names to entries');
  }
  const entries = isRecord(raw) && isRecord(raw.callbacks) ? raw.callbacks : {};
  const definitions: CallbackDefinition[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    try {
      definitions.push(defineCallback(name, entry, options));
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new CallbacksConfigError(problems, options.file);
  return definitions;
}

/** The `hooks:` section of the same file, as written (src/hooks/load.ts checks it). */
export function readHooksSection(file: string): unknown {
  if (!existsSync(file)) return undefined;
  const raw: unknown = parseYaml(readFileSync(file, 'utf8'));
  return isRecord(raw) ? raw.hooks : undefined;
}

/** `${VAR}` and `${VAR:-default}`; an unset variable without a default is an error. */
export function interpolate(text: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof text !== 'string') return text;
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (_match, variable: string, fallback?: string) => {
      const value = env[variable] ?? fallback;
      if (value === undefined) throw new Error(`environment variable ${variable} is not set`);
      return value;
    },
  );
}

function defineCallback(
  name: string,
  rawEntry: unknown,
  options: { schema: GraphQLSchema; sharedSecret: string; env?: NodeJS.ProcessEnv },
): CallbackDefinition {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name)) throw new Error('a name has letters, digits, _ and - (at most 64)');
  const env = { ...(options.env ?? process.env), CALLBACK_SIGNING_SECRET: options.sharedSecret };
  const parsed = callbackEntrySchema.safeParse(interpolateEntry(rawEntry, env));
  if (!parsed.success) {
    throw new Error(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'entry'}: ${issue.message}`).join('; '),
    );
  }
  const entry: CallbackEntry = parsed.data;
  const builtin = isBuiltinTrigger(entry.trigger) ? entry.trigger : null;
  const [model, operation] = entry.trigger.split('.') as [ModelName, Operation];
  // Every alert is sent: a condition would be evaluated where no node exists to evaluate it on.
  if (builtin && entry.when) throw new Error(`when: ${builtin} callbacks take no condition; every such event is sent`);
  let payload: CompiledPayload;
  try {
    payload = builtin
      ? compileBuiltinPayload(options.schema, builtin, entry.payload)
      : compilePayload(options.schema, model, operation, entry.payload);
  } catch (error) {
    if (error instanceof PayloadError) throw new Error(`payload: ${error.message}`, { cause: error });
    throw error;
  }
  if (entry.when) checkConditionFields(entry.when, model, options.schema);
  return {
    name,
    trigger: entry.trigger as Trigger | BuiltinTrigger,
    url: entry.url,
    headers: entry.headers,
    payload,
    when: entry.when,
    timeoutMs: Math.round(entry.timeout * 1000),
    maxAttempts: entry.maxAttempts,
    ordered: entry.ordered,
    enabled: entry.enabled,
    secrets: entry.secrets ?? (entry.secret ? [entry.secret] : null),
    maxInFlight: entry.maxInFlight ?? null,
    ratePerSecond: entry.ratePerSecond ?? null,
    disableAfterFailingForMs: entry.disableAfterFailingFor === false ? null : entry.disableAfterFailingFor,
  };
}

function checkConditionFields(condition: Condition, model: ModelName, schema: GraphQLSchema): void {
  const type = schema.getType(model);
  const fields = isObjectType(type) ? type.getFields() : {};
  for (const field of fieldsNamedIn(condition)) {
    const found = fields[field];
    if (!found || !isLeafType(getNamedType(found.type)))
      throw new Error(`when: ${model} has no scalar field "${field}"`);
  }
}

/** `${VAR}` and `${VAR:-default}` in url, headers and secret; an unset variable without a default is an error. */
function interpolateEntry(entry: unknown, env: NodeJS.ProcessEnv): unknown {
  if (!isRecord(entry)) return entry;
  const fill = (text: unknown) => interpolate(text, env);
  return {
    ...entry,
    url: fill(entry.url),
    secret: fill(entry.secret),
    secrets: Array.isArray(entry.secrets) ? entry.secrets.map(fill) : entry.secrets,
    headers: isRecord(entry.headers)
      ? Object.fromEntries(Object.entries(entry.headers).map(([key, value]) => [key, fill(value)]))
      : entry.headers,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
