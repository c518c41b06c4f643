import type { GraphQLSchema } from 'graphql';
import { z } from 'zod';
import { CallbacksConfigError, interpolate, readHooksSection } from '../callbacks/load.js';
import { MODELS } from '../callbacks/events.js';
import { secretPaths } from '../schema/secret-arguments.js';

/** A blocking hook, ready to run before the mutation it guards. */
export interface HookDefinition {
  name: string;
  /** e.g. Purchase.create */
  before: string;
  /** The mutation field it guards: createPurchase for Purchase.create. */
  mutation: string;
  url: string;
  timeoutMs: number;
  onError: 'deny' | 'allow';
  mayChange: string[];
  secret: string;
}

const hookSchema = z
  .object({
    before: z
      .string()
      .regex(
        new RegExp(`^(${MODELS.join('|')})\\.(create|update)$`),
        `<Model>.create or <Model>.update (models: ${MODELS.join(', ')})`,
      ),
    url: z.url({ protocol: /^https?$/ }),
    timeout: z
      .string()
      .regex(/^\d+(ms|s)$/, 'a duration like 500ms or 2s')
      .default('2s'),
    onError: z.enum(['deny', 'allow']).default('deny'),
    mayChange: z.array(z.string()).default([]),
    secret: z.string().startsWith('whsec_').optional(),
  })
  .strict();

const toMs = (text: string) => (text.endsWith('ms') ? Number(text.slice(0, -2)) : Number(text.slice(0, -1)) * 1000);

/** Reads `hooks:` from callbacks.yml and checks each hook against the live schema; every problem is listed. */
export function loadHooks(options: {
  file: string;
  schema: GraphQLSchema;
  defaultSecret: string;
  env?: NodeJS.ProcessEnv;
}): HookDefinition[] {
  const section = readHooksSection(options.file);
  if (section == null) return [];
  if (typeof section !== 'object' || Array.isArray(section))
    throw new CallbacksConfigError(['hooks: must map names to hooks'], options.file);
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const hooks: HookDefinition[] = [];
  for (const [name, raw] of Object.entries(section as Record<string, unknown>)) {
    try {
      const filled =
        raw && typeof raw === 'object'
          ? {
              ...raw,
              url: interpolate((raw as { url?: unknown }).url, env),
              secret: interpolate((raw as { secret?: unknown }).secret, env),
            }
          : raw;
      const parsed = hookSchema.safeParse(filled);
      if (!parsed.success)
        throw new Error(
          parsed.error.issues.map((issue) => `${issue.path.join('.') || 'entry'}: ${issue.message}`).join('; '),
        );
      const [model, operation] = parsed.data.before.split('.') as [string, string];
      const mutation = `${operation}${model}`;
      const field = options.schema.getMutationType()?.getFields()[mutation];
      if (!field) throw new Error(`before: there is no ${mutation} mutation`);
      const unknown = parsed.data.mayChange.filter((argument) => !field.args.some((arg) => arg.name === argument));
      if (unknown.length > 0)
        throw new Error(`mayChange: ${mutation} has no argument ${unknown.map((a) => `"${a}"`).join(', ')}`);
      const secrets = parsed.data.mayChange.flatMap((argument) =>
        secretPaths(field.args.find((arg) => arg.name === argument)!),
      );
      if (secrets.length > 0)
        throw new Error(
          `mayChange: ${secrets.join(', ')} of ${mutation} is a secret: a hook never sees it, so it may not change it`,
        );
      hooks.push({
        name,
        mutation,
        before: parsed.data.before,
        url: parsed.data.url,
        timeoutMs: toMs(parsed.data.timeout),
        onError: parsed.data.onError,
        mayChange: parsed.data.mayChange,
        secret: parsed.data.secret ?? options.defaultSecret,
      });
    } catch (error) {
      problems.push(`hooks.${name}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new CallbacksConfigError(problems, options.file);
  return hooks;
}
