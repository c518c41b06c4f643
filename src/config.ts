import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { withSecretFiles } from './secret-files.js';

/**
 * The repository (or image) root, so relative defaults do not depend on the working directory. Found
 * by package.json rather than a fixed `..`, because this file runs from src/ under tsx and from
 * dist/src/ compiled.
 */
export const rootDir = packageRoot(path.dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let directory = from; ; directory = path.dirname(directory)) {
    if (existsSync(path.join(directory, 'package.json'))) return directory;
    if (path.dirname(directory) === directory) throw new Error(`No package.json in ${from} or above it`);
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = z.string().url().optional();

const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: optionalUrl,
  DATA_DIR: z.string().default(path.join(rootDir, '.data')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_TTL_HOURS: z.coerce.number().positive().default(24 * 30),
  MAX_QUERY_DEPTH: z.coerce.number().int().positive().default(10),
  MAX_QUERY_COST: z.coerce.number().int().positive().default(5000),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(100_000),
  CALLBACKS_FILE: z.string().default(path.join(rootDir, 'callbacks.yml')),
  CALLBACK_SIGNING_SECRET: z.string().startsWith('whsec_').optional(),
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(24),
  CALLBACK_RETRY_BASE_MS: z.coerce.number().int().positive().default(1000),
  STALE_LOCK_GRACE_MS: z.coerce.number().int().positive().default(60_000),
  /** A worker-only process serves /healthz, /readyz and /metrics here; unset, it opens no port. */
  METRICS_PORT: port.optional(),
}).refine((config) => config.NODE_ENV !== 'production' || config.DATABASE_URL, {
  // The embedded server is for development; a production image does not even ship its binaries.
  message: 'DATABASE_URL is required in production',
  path: ['DATABASE_URL'],
});

export type Config = z.infer<typeof configSchema>;

/** Every environment variable Paygraph reads, parsed and defaulted in one place. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(withSecretFiles(env, ['CALLBACK_SIGNING_SECRET']));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}
