import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LOOPBACK } from '../packages/base/listen-host.js';
import { LOG_LEVELS } from '../packages/base/logger.js';
import { withSecretFiles } from '../packages/base/secret-files.js';

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

/** Stripe.js as Stripe serves it: with a real key, pages must load it from there (Stripe's terms, PCI). */
export const STRIPES_OWN_JS = 'https://js.stripe.com/v3/';

// Measured with npm run bench:e2e (docs/benchmarks.md): on 2 cores a worker process of its own adds a
// Node process's memory and no throughput, since all five processes and PostgreSQL share the same cores.
const SEPARATE_WORKER_ABOVE_CORES = 2;
const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = z.string().url().optional();
const logLevel = z.enum(LOG_LEVELS).default('info');
// Environment switches are words, and "false" must mean false (z.coerce.boolean would read it as true).
const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: port.default(4000),
    /** Loopback unless opened on purpose (HOST=0.0.0.0); the image sets 0.0.0.0, a container's own network being its boundary. */
    HOST: z.string().default(LOOPBACK),
    DATABASE_URL: optionalUrl,
    /** PostgreSQL itself when DATABASE_URL is a pooler (PgBouncer in transaction mode): LISTEN, session locks, migrations, the job queue. */
    DATABASE_DIRECT_URL: optionalUrl,
    DATA_DIR: z.string().default(path.join(rootDir, '.data')),
    LOG_LEVEL: logLevel,
    SESSION_TTL_HOURS: z.coerce
      .number()
      .positive()
      .default(24 * 30),
    MAX_QUERY_DEPTH: z.coerce.number().int().positive().default(10),
    MAX_QUERY_COST: z.coerce.number().int().positive().default(5000),
    MAX_ALIASES: z.coerce.number().int().nonnegative().default(15),
    MAX_BODY_BYTES: z.coerce.number().int().positive().default(100_000),
    /** Subscriptions (SSE streams) one API process holds open per session or access token, and per client address. */
    MAX_STREAMS_PER_SESSION: z.coerce.number().int().positive().default(20),
    MAX_STREAMS_PER_ADDRESS: z.coerce.number().int().positive().default(100),
    MUTATION_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    /** Connections of the API's Prisma client; each mutation request holds one for its transaction. */
    DATABASE_POOL_SIZE: z.coerce.number().int().positive().default(20),
    /** Named statements, parsed once per connection; off by default when DATABASE_DIRECT_URL names a pooler (PgBouncer before 1.21 keeps none). */
    DATABASE_PREPARED_STATEMENTS: flag.optional(),
    /** Introspection and "Did you mean" suggestions; off in production unless set. */
    GRAPHQL_INTROSPECTION: flag.optional(),
    GRAPHIQL: flag.optional(),
    SIGNIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().positive().default(10),
    SIGNIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().positive().default(50),
    /** Sign-ups per client address in the same window; each costs a password hash, and a CONFLICT tells an email is registered. */
    SIGNUP_MAX_PER_ADDRESS: z.coerce.number().int().positive().default(20),
    SIGNIN_THROTTLE_MINUTES: z.coerce.number().int().positive().default(15),
    /** Behind a reverse proxy, the client's address is the last one X-Forwarded-For names. */
    TRUST_PROXY: flag.default(false),
    /** A worker-only process serves /metrics and /healthz here; 0 picks a free port. */
    METRICS_PORT: port.optional(),
    /** Set by npm start's supervisor for a process it starts: /healthz answers it, so the supervisor knows its own child answers. */
    SERVICE_INSTANCE: z.string().optional(),
    /** Every probe (/healthz, /readyz, /metrics) answers within this, a database that does not answer included (probeTiming). */
    PROBE_TIMEOUT_MS: z.coerce.number().int().min(100).default(2_000),
    /** When set, /metrics asks for "Authorization: Bearer <METRICS_TOKEN>". */
    METRICS_TOKEN: z.string().min(16).optional(),
    STRIPE_SECRET_KEY: z.string().min(1).optional(),
    /** What the storefront's Stripe.js is created with (the public stripeConfig query); npm start sets the local account's. */
    STRIPE_PUBLISHABLE_KEY: z
      .string()
      .regex(/^pk_(test|live)_\w+$/, 'a publishable key, pk_test_... or pk_live_...')
      .optional(),
    /** Where pages load Stripe.js from: Stripe's own with a real key (Stripe requires it); npm start sets the local Stripe's. */
    STRIPE_JS_URL: z.string().url().default(STRIPES_OWN_JS),
    /** The example storefront at /shop (examples/shop); off in production unless set. */
    SHOP: flag.optional(),
    STRIPE_API_URL: optionalUrl,
    /** Verifies POST /stripe/webhook (Stripe-Signature); without it, the endpoint answers 400 to everything. */
    STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
    /** A Connect deployment: the connected account (acct_...) whose events /stripe/webhook applies; unset, events naming an account are not applied. */
    STRIPE_ACCOUNT_ID: z
      .string()
      .regex(/^acct_\w+$/, 'a Stripe account id, acct_...')
      .optional(),
    CREATE_CUSTOMER_PORT: port.default(4001),
    CHARGE_CUSTOMER_PORT: port.default(4002),
    CREATE_CUSTOMER_URL: optionalUrl,
    CHARGE_CUSTOMER_URL: optionalUrl,
    CALLBACKS_FILE: z.string().default(path.join(rootDir, 'callbacks.yml')),
    CALLBACK_SIGNING_SECRET: z.string().startsWith('whsec_').optional(),
    WORKER_CONCURRENCY: z.coerce.number().int().positive().default(24),
    /** npm start: the callbacks worker in a process of its own beside the API, or in the API's process (default: chosen by core count). */
    WORKER_PROCESS: flag.optional(),
    /** V8 grows the heap to (100 + this)% of what the last full collection kept before the next one; 0 leaves it to V8 (up to 4x). */
    HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(300).default(20),
    CALLBACK_RETRY_BASE_MS: z.coerce.number().int().positive().default(1000),
    STALE_LOCK_GRACE_MS: z.coerce.number().int().positive().default(60_000),
    CALLBACK_PUMP_INTERVAL_MS: z.coerce.number().int().min(10).default(1000),
    CALLBACK_RETENTION_DAYS: z.coerce.number().int().positive().default(30),
    CALLBACK_DEAD_RETENTION_DAYS: z.coerce.number().int().positive().default(90),
    CALLBACK_RETENTION_SWEEP_MS: z.coerce.number().int().min(100).default(300_000),
    /** A purchase waits this long for its card's 3-D Secure, then fails: Stripe's SetupIntents never expire. */
    CARD_AUTHENTICATION_TIMEOUT_HOURS: z.coerce.number().positive().default(24),
  })
  .refine((config) => config.NODE_ENV !== 'production' || config.DATABASE_URL, {
    // The embedded server is for development; a production image does not even ship its binaries.
    message: 'DATABASE_URL is required in production',
    path: ['DATABASE_URL'],
  });

type ParsedConfig = z.infer<typeof configSchema>;
export type Config = Omit<
  ParsedConfig,
  'GRAPHQL_INTROSPECTION' | 'GRAPHIQL' | 'SHOP' | 'WORKER_PROCESS' | 'DATABASE_PREPARED_STATEMENTS'
> & {
  DATABASE_PREPARED_STATEMENTS: boolean;
  GRAPHQL_INTROSPECTION: boolean;
  GRAPHIQL: boolean;
  SHOP: boolean;
  WORKER_PROCESS: boolean;
  /** A live key (sk_live_, rk_live_) means live mode; anything else, the local emulator included, is test mode. */
  stripeLivemode: boolean;
};

/** Every environment variable Paygraph reads, parsed and defaulted in one place. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(
    withSecretFiles(env, ['CALLBACK_SIGNING_SECRET', 'STRIPE_WEBHOOK_SECRET', 'STRIPE_SECRET_KEY']),
  );
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const developing = parsed.data.NODE_ENV !== 'production';
  const { DATABASE_URL, DATABASE_DIRECT_URL } = parsed.data;
  const pooled = DATABASE_DIRECT_URL !== undefined && DATABASE_DIRECT_URL !== DATABASE_URL;
  return {
    ...parsed.data,
    DATABASE_PREPARED_STATEMENTS: parsed.data.DATABASE_PREPARED_STATEMENTS ?? !pooled,
    GRAPHQL_INTROSPECTION: parsed.data.GRAPHQL_INTROSPECTION ?? developing,
    GRAPHIQL: parsed.data.GRAPHIQL ?? developing,
    SHOP: parsed.data.SHOP ?? developing,
    WORKER_PROCESS: parsed.data.WORKER_PROCESS ?? availableParallelism() > SEPARATE_WORKER_ABOVE_CORES,
    stripeLivemode: /^(sk|rk)_live_/.test(parsed.data.STRIPE_SECRET_KEY ?? ''),
  };
}
