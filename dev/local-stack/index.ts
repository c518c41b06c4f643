import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startLocalStripe } from '../../services/lib/local-stripe.js';
import { launcherArgs } from '../../packages/base/launcher.js';
import { SERVICES as SERVICE_SCOPES } from '../../packages/base/services.js';
import { createAccessToken, revokeAccessToken } from '../../src/auth/access-tokens.js';
import type { CallbackDefinition } from '../../src/callbacks/load.js';
import { rootDir, type Config } from '../../src/config.js';
import { createPrismaClient } from '../../src/db/client.js';
import { APPLIED_STRIPE_EVENTS } from '../../src/stripe-webhook/apply-event.js';
import { connectHost } from '../../packages/base/listen-host.js';
import { freePort } from '../../packages/base/free-port.js';
import type { Logger } from '../../packages/base/logger.js';
import type { Check } from '../../src/probes.js';
import { assertPortFree, forgetPids, recordPids, stopLeftovers } from './leftovers.js';
import { claimDataDir, stopWhenStarterDies } from './running-stack.js';
import { serviceTimeoutMs } from './service-timeouts.js';
import { localStripeKey, publishableKeyOf } from './stripe-key.js';
import { startSupervised } from './supervisor.js';
import { welcome } from './welcome.js';

/** The two services, each with the one scope its write-back needs (declared beside the services' own config). */
const SERVICES = [
  { name: 'create-customer', port: 'CREATE_CUSTOMER_PORT', url: 'CREATE_CUSTOMER_URL', token: 'CREATE_CUSTOMER_TOKEN' },
  { name: 'charge-customer', port: 'CHARGE_CUSTOMER_PORT', url: 'CHARGE_CUSTOMER_URL', token: 'CHARGE_CUSTOMER_TOKEN' },
] as const satisfies readonly {
  name: keyof typeof SERVICE_SCOPES;
  port: keyof Config;
  url: keyof Config;
  token: string;
}[];

const SERVICE_RUNNER = launcherArgs('../../services/run', import.meta.url);
const PAYGRAPH_RUNNER = launcherArgs('../../src/main', import.meta.url);

/** Where callbacks.yml finds the services `npm start` runs; known before anything starts, so the file can be checked first. */
export function localStackEnv(config: Config): Record<string, string> {
  return Object.fromEntries(
    SERVICES.map((service) => [
      service.url,
      config[service.url] ?? `http://${connectHost(config.HOST)}:${config[service.port]}/`,
    ]),
  );
}

/**
 * Makes this start the only one on DATA_DIR, and stops it (in order, as SIGTERM does) when the npm
 * process that started it dies: an orphaned stack would keep its port and services from the next start.
 */
export async function claimLocalStack(config: Config, logger: Logger): Promise<() => Promise<void>> {
  mkdirSync(config.DATA_DIR, { recursive: true });
  const release = await claimDataDir(config.DATA_DIR, config.PORT);
  const unwatch = stopWhenStarterDies((pid) => {
    logger.warn({ pid }, 'the process that started this stack is gone; stopping');
    process.kill(process.pid, 'SIGTERM');
  });
  return async () => {
    unwatch();
    await release();
  };
}

/**
 * What `npm start` adds around the API so the whole payment workflow runs on one machine: a local
 * Stripe-compatible server when no key is set, the services' access tokens, the services and (where
 * WORKER_PROCESS says) the callbacks worker, each in its own process, owned and supervised by this one.
 */
export async function startLocalStack(
  config: Config,
  databaseUrl: string,
  signingSecret: string,
  logger: Logger,
  callbacks: readonly CallbackDefinition[],
) {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    mkdirSync(config.DATA_DIR, { recursive: true });
    const leftovers = await stopLeftovers(config.DATA_DIR);
    if (leftovers.length > 0) logger.warn({ pids: leftovers }, 'stopped services an earlier start left running');

    const stripe = await startStripe(config, logger);
    if (stripe.stop) stops.push(stripe.stop);
    const env = localStackEnv(config);
    const { operator, ...tokens } = await mintTokens(databaseUrl);
    const launch = launcher(config, logger, signingSecret, stripe.env);
    const readiness = await startProcesses(launch, { env, databaseUrl, tokens, callbacks }, stops);
    stops.push(async () => forgetPids(config.DATA_DIR));

    return {
      env,
      /** What the API verifies Stripe's events with: the generated one when the emulator runs. */
      webhookSecret: stripe.webhookSecret,
      stripeJs: stripe.stripeJs,
      readiness,
      stop,
      printWelcome(apiUrl: string, readyMs: number) {
        console.log(
          welcome({
            apiUrl,
            readyMs,
            stripeNote: stripe.note,
            env,
            operatorToken: operator,
            host: config.HOST,
            shop: config.SHOP,
          }),
        );
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** How each process is launched; every pid launched is recorded, so a later start can stop what this one left. */
function launcher(config: Config, logger: Logger, signingSecret: string, stripeEnv: Record<string, string>): Launch {
  const pids: Record<string, number> = {};
  return {
    config,
    logger,
    signingSecret,
    stripeEnv,
    launched: (name, pid) => {
      pids[name] = pid;
      recordPids(config.DATA_DIR, Object.values(pids));
    },
  };
}

/** The services, then (WORKER_PROCESS) the callbacks worker, each supervised; their stops go on `stops`. */
async function startProcesses(
  launch: Launch,
  stack: {
    env: Record<string, string>;
    databaseUrl: string;
    tokens: Record<(typeof SERVICES)[number]['name'], string>;
    callbacks: readonly CallbackDefinition[];
  },
  stops: (() => Promise<void>)[],
): Promise<Record<string, Check>> {
  const readiness: Record<string, Check> = {};
  for (const service of SERVICES) {
    const timeoutMs = serviceTimeoutMs(stack.env[service.url]!, stack.callbacks);
    const supervised = await startService(launch, service, stack.tokens[service.name], timeoutMs);
    stops.push(supervised.stop);
    readiness[service.name] = supervised.ready;
  }
  // On more than 2 cores the callbacks worker runs in a process of its own, so the API and it each have a
  // core under load; otherwise (WORKER_PROCESS) the API's own process runs it (src/run-paygraph.ts).
  if (launch.config.WORKER_PROCESS) {
    const worker = await startWorkerProcess(launch, stack.env, stack.databaseUrl);
    stops.push(worker.stop);
    readiness.worker = worker.ready;
  }
  return readiness;
}

interface LocalStripe {
  /** What the services need to reach it: empty when they read the key from the environment themselves. */
  env: Record<string, string>;
  webhookSecret: string | undefined;
  /** The emulator's publishable key and Stripe.js-compatible script, for the shop. */
  stripeJs?: Pick<Config, 'STRIPE_PUBLISHABLE_KEY' | 'STRIPE_JS_URL'>;
  /** What the welcome says about it. */
  note: string;
  stop?: () => Promise<void>;
}

/** The Stripe the services talk to: the one STRIPE_SECRET_KEY names, or the local emulator. */
async function startStripe(config: Config, logger: Logger): Promise<LocalStripe> {
  if (config.STRIPE_SECRET_KEY) {
    const note = config.STRIPE_API_URL ? `Stripe-compatible server at ${config.STRIPE_API_URL}` : 'Stripe (your key)';
    return { env: {}, webhookSecret: config.STRIPE_WEBHOOK_SECRET, note };
  }
  if (config.NODE_ENV === 'production') throw new Error('STRIPE_SECRET_KEY is required in production');
  // The emulator's events go to the API's /stripe/webhook, signed with a secret made for this start.
  const webhookSecret = `whsec_${randomBytes(24).toString('base64url')}`;
  // Each key is its own account at the emulator, with its own webhook endpoints: only this one's events reach the API.
  const account = localStripeKey(config.DATA_DIR);
  // Subscribed, as a Stripe endpoint would be, to the event types the API acts on: a payment's
  // payment_intent.created and charge.succeeded would each cost the API a request and a transaction.
  const stripe = await startLocalStripe({
    webhook: {
      accountKey: account.key,
      url: `http://${connectHost(config.HOST)}:${config.PORT}/stripe/webhook`,
      secret: webhookSecret,
      events: APPLIED_STRIPE_EVENTS,
    },
    // Kept beside the database, whose users' stripeIds and cards point into it.
    stateDir: path.join(config.DATA_DIR, 'stripe-local'),
  });
  logger.warn({ url: stripe.url }, 'STRIPE_SECRET_KEY is not set: using a local Stripe-compatible server');
  return {
    env: { STRIPE_SECRET_KEY: account.key, STRIPE_API_URL: stripe.url },
    webhookSecret,
    stripeJs: { STRIPE_PUBLISHABLE_KEY: publishableKeyOf(account.key), STRIPE_JS_URL: `${stripe.url}/v3/` },
    note:
      `LOCAL Stripe emulator (services/stripe-local, state in DATA_DIR/stripe-local) at ${stripe.url}: no real money, no Stripe account\n` +
      `  stripe events       POST /stripe/webhook, STRIPE_WEBHOOK_SECRET=${webhookSecret}\n` +
      `  stripe key          ${account.file} (its account's events alone reach the API)`,
    stop: stripe.stop,
  };
}

/** What every process this one launches shares; `launched` records its pid for the next start to find. */
interface Launch {
  config: Config;
  logger: Logger;
  signingSecret: string;
  stripeEnv: Record<string, string>;
  launched: (name: string, pid: number) => void;
}

async function startService(
  launch: Launch,
  service: (typeof SERVICES)[number],
  token: string,
  timeoutMs: number | null,
) {
  const { config, logger } = launch;
  const port = config[service.port];
  await assertPortFree(port, service.name);
  return startSupervised({
    name: service.name,
    args: [...SERVICE_RUNNER, service.name],
    cwd: rootDir,
    url: `http://${connectHost(config.HOST)}:${port}/`,
    logger,
    onLaunch: (pid) => launch.launched(service.name, pid),
    env: {
      ...process.env,
      ...launch.stripeEnv,
      PORT: String(port),
      // The API's own rule: loopback unless HOST opens both on purpose.
      HOST: config.HOST,
      CALLBACK_SIGNING_SECRET: launch.signingSecret,
      PAYGRAPH_API_URL: `http://${connectHost(config.HOST)}:${config.PORT}/graphql`,
      [service.token]: token,
      ...(timeoutMs !== null && { CALLBACK_TIMEOUT_MS: String(timeoutMs) }),
    },
  });
}

async function startWorkerProcess(launch: Launch, env: Record<string, string>, databaseUrl: string) {
  const workerPort = await freePort();
  return startSupervised({
    name: 'worker',
    args: [...PAYGRAPH_RUNNER, 'worker'],
    cwd: rootDir,
    url: `http://127.0.0.1:${workerPort}/`,
    logger: launch.logger,
    onLaunch: (pid) => launch.launched('worker', pid),
    env: {
      ...process.env,
      ...launch.stripeEnv,
      ...env,
      DATABASE_URL: databaseUrl,
      CALLBACK_SIGNING_SECRET: launch.signingSecret,
      HOST: '127.0.0.1',
      METRICS_PORT: String(workerPort),
    },
  });
}

// The operator's token signs in to the delivery console (callbacks:admin only).
const OPERATOR = { name: 'operator', scopes: ['callbacks:admin'] as const };

// Tokens are shown once and stored hashed, so each start replaces the previous start's.
async function mintTokens(
  databaseUrl: string,
): Promise<Record<(typeof SERVICES)[number]['name'] | 'operator', string>> {
  const db = createPrismaClient(databaseUrl, 2);
  try {
    const tokens: Record<string, string> = {};
    const holders = [
      ...SERVICES.map((service) => ({ name: service.name, scopes: SERVICE_SCOPES[service.name].scopes })),
      OPERATOR,
    ];
    for (const holder of holders) {
      const tokenName = `${holder.name} (npm start)`;
      await revokeAccessToken(db, tokenName);
      tokens[holder.name] = (await createAccessToken(db, tokenName, [...holder.scopes])).token;
    }
    return tokens as Record<(typeof SERVICES)[number]['name'] | 'operator', string>;
  } finally {
    await db.$disconnect();
  }
}
