import pg from 'pg';
import { stopWithParent } from '../packages/base/parent-process.js';
import { startPaygraph } from './app.js';
import { loadCallbacks, type CallbackDefinition } from './callbacks/load.js';
import { resolveSigningSecret } from './callbacks/signing-secret.js';
import { ensureCallbackSecrets } from './callbacks/store/secrets.js';
import { loadConfig, type Config } from './config.js';
import { openDatabase } from './db/database.js';
import { limitHeapGrowth } from './heap-growth.js';
import { logger, type Logger } from '../packages/base/logger.js';
import type { Check } from './probes.js';
import { schema } from './schema/index.js';

export type Role = 'all' | 'api' | 'worker';

/**
 * What `npm start` (dev/start.ts) adds around the API: a local Stripe, the services and their tokens,
 * each in a process it owns. Production processes run without one, so they never load it.
 */
export interface LocalStack {
  /** Claims DATA_DIR before anything starts (refusing a second start while one runs there); returns the release. */
  claim(config: Config, logger: Logger): Promise<() => Promise<void>>;
  /** Where callbacks.yml finds the services it runs; known before anything starts, so the file can be checked first. */
  env(config: Config): Record<string, string>;
  start(
    config: Config,
    databaseUrl: string,
    signingSecret: string,
    logger: Logger,
    callbacks: readonly CallbackDefinition[],
  ): Promise<{
    webhookSecret: string | undefined;
    /** The local Stripe's publishable key and Stripe.js, for the shop; unset with a real key. */
    stripeJs?: Pick<Config, 'STRIPE_PUBLISHABLE_KEY' | 'STRIPE_JS_URL'>;
    readiness: Record<string, Check>;
    stop(): Promise<void>;
    printWelcome(apiUrl: string, readyMs: number): void;
  }>;
}

const stops: (() => Promise<void>)[] = [];
let stopping = false;

async function shutdown(signal: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  for (const stop of stops.reverse()) await stop().catch((err) => logger.error({ err }, 'error while stopping'));
  process.exit(exitCode);
}

/**
 * Runs one Paygraph process until it is told to stop: `all` is the API with its worker (with a local
 * stack: npm start), `api` and `worker` one role each, for deployments that split them.
 */
export function runPaygraph(role: Role, localStack?: LocalStack): void {
  main(role, localStack).catch(async (error) => {
    // A refusal the user acts on (another start running, a port taken) is one line, not a stack trace.
    const expected = error instanceof Error && (error as { expected?: boolean }).expected === true;
    logger.fatal(expected ? {} : { err: error }, error instanceof Error ? error.message : 'start failed');
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    process.exit(1);
  });
}

async function main(role: Role, localStack: LocalStack | undefined): Promise<void> {
  const startedAt = performance.now();
  const config = loadConfig();
  limitHeapGrowth(config.HEAP_GROWING_PERCENT);
  shutDownWhenTold();

  const signing = resolveSigningSecret(config);
  // callbacks.yml is checked before anything starts: a mistake there stops the start with nothing left running.
  const env = { ...process.env, ...localStack?.env(config) };
  const callbacks = loadCallbacks({ file: config.CALLBACKS_FILE, schema, sharedSecret: signing.secret, env });

  if (localStack) stops.push(await localStack.claim(config, logger));
  // npm start owns its data directory (claimed above): an embedded server an earlier, killed start left running is its to stop.
  const database = await openDatabase(config, logger, { ownsDataDir: localStack !== undefined });
  stops.push(database.stop);
  if (signing.generated) {
    // Shown once, on the console rather than in the JSON log, for receivers outside this process.
    const file = `${config.DATA_DIR}/callback-signing-secret`;
    console.log(
      `Generated the callback signing secret (kept in ${file}; set CALLBACK_SIGNING_SECRET to choose one):\n  ${signing.secret}`,
    );
  }

  // Made before npm start's worker process starts, so that this process, on this console, is the one that shows them.
  await makeOwnSecrets(database.url, callbacks);

  const stack = localStack ? await localStack.start(config, database.url, signing.secret, logger, callbacks) : null;
  if (stack) stops.push(stack.stop);

  const app = await startPaygraph({
    config: {
      ...config,
      ...stack?.stripeJs,
      STRIPE_WEBHOOK_SECRET: stack?.webhookSecret ?? config.STRIPE_WEBHOOK_SECRET,
    },
    databaseUrl: database.url,
    databaseDirectUrl: database.directUrl,
    signingSecret: signing.secret,
    logger,
    // `all` runs the worker in this process, unless npm start's local stack runs it beside this one (WORKER_PROCESS).
    roles: {
      api: role !== 'worker',
      worker: role === 'worker' || (role === 'all' && !(stack && config.WORKER_PROCESS)),
    },
    callbacks,
    onSecretGenerated: printOwnSecret,
    readiness: stack?.readiness,
  });
  // Stops run last first: the in-process worker, then the local stack (its worker process, the services
  // answering callbacks in flight), then the API those write back to, and the database.
  if (stack) stops.splice(stops.indexOf(stack.stop), 1);
  stops.push(app.stop, ...(stack ? [stack.stop] : []), app.stopWorker);
  const readyMs = Math.round(performance.now() - startedAt);
  logger.info({ role, url: app.url, callbacks: app.callbacks.map((c) => c.name), readyMs }, 'Paygraph is ready');
  if (stack && app.url) stack.printWelcome(app.url, readyMs);
}

function shutDownWhenTold(): void {
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // The terminal closed: stopped in order too, not cut off where it stood.
  process.on('SIGHUP', () => void shutdown('SIGHUP'));
  // Started by npm start (the worker): when that process dies, so does this one.
  stopWithParent(() => void shutdown('disconnect'));
  // A library's stray rejection (a connection lost while the database restarts) is logged, and the
  // process, whose parts reconnect and restart themselves, keeps serving.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; stopping');
    void shutdown('uncaughtException', 1);
  });
}

// Shown once, on the console rather than in the JSON log; `npm run callbacks -- rotate` makes a new one.
const printOwnSecret = (name: string, secret: string) =>
  console.log(`Generated the signing secret of callback ${name} (shown once; give it to its receiver):\n  ${secret}`);

async function makeOwnSecrets(databaseUrl: string, callbacks: readonly CallbackDefinition[]): Promise<void> {
  const secretsPool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    for (const made of await ensureCallbackSecrets(
      secretsPool,
      callbacks.filter((c) => c.secrets === null).map((c) => c.name),
    ))
      printOwnSecret(made.callback, made.secret);
  } finally {
    await secretsPool.end();
  }
}
