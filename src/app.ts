import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createIdentityCache, revocationListener } from './auth/identity-cache.js';
import { createSigninThrottle } from './auth/signin-throttle.js';
import { createCallbackAdmin } from './callbacks/admin.js';
import type { DeliveryDeps } from './callbacks/deliver.js';
import type { EventRecorder } from './callbacks/events.js';
import { loadCallbacks, type CallbackDefinition } from './callbacks/load.js';
import { ensureCallbackSecrets, storedSecretReader } from './callbacks/store/secrets.js';
import { createCallbackControls, startControlsSweep } from './callbacks/controls.js';
import { registerQueueGauges } from './callbacks/metrics.js';
import { ensureFlowSlots } from './callbacks/store/flow-control.js';
import { createOutbox } from './callbacks/outbox.js';
import { batchNodeLookups } from './callbacks/batched-lookups.js';
import { startRetentionSweep } from './callbacks/retention.js';
import { deliveryTiming, probeTiming } from './callbacks/timing.js';
import { PROCESS_NAME } from './callbacks/worker-presence.js';
import type { Config } from './config.js';
import { createPrismaClient, type Db } from './db/client.js';
import { NamedStatementsClient, UnnamedStatementsClient } from './db/prepared-statements.js';
import { onConnectionErrors } from './db/connection-errors.js';
import { createProbePool } from './db/probe-pool.js';
import { loadHooks } from './hooks/load.js';
import { createChangeFeed, listenForChanges } from './live/change-feed.js';
import { connectHost } from '../packages/base/listen-host.js';
import type { Logger } from '../packages/base/logger.js';
import type { Context } from './schema/context.js';
import { schema } from './schema/index.js';
import { closeServer, probeRoutes, startProbeServer, type Check } from './probes.js';
import { createServer } from './server.js';
import { prepareJobQueue, startWorker } from './worker.js';

export interface PaygraphOptions {
  config: Config;
  databaseUrl: string;
  /** PostgreSQL itself when databaseUrl is a pooler in transaction mode (DATABASE_DIRECT_URL); databaseUrl if unset. */
  databaseDirectUrl?: string;
  signingSecret: string;
  logger: Logger;
  /** Which roles this process plays; `npm start` plays both. */
  roles: { api: boolean; worker: boolean };
  env?: NodeJS.ProcessEnv;
  /** Callbacks already loaded and checked (main.ts checks them before anything starts). */
  callbacks?: CallbackDefinition[];
  /** Shown a callback's own secret when this process made it (first start); nothing shows it again. */
  onSecretGenerated?: (callback: string, secret: string) => void;
  /** More readiness checks, such as the services `npm start` runs beside the API. */
  readiness?: Record<string, Check>;
}

export interface Paygraph {
  /** The API's base URL, e.g. http://127.0.0.1:4000, when this process serves the API. */
  url: string | null;
  db: Db;
  pool: pg.Pool;
  callbacks: CallbackDefinition[];
  /** The outbox, for code that writes outside GraphQL and still wants its callbacks. */
  events: EventRecorder;
  /** Stops the worker alone, once its deliveries in flight are done; stop() begins with it. */
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

/** Wires one Paygraph process: API, worker or both, on a database whose migrations are applied. */
export async function startPaygraph(options: PaygraphOptions): Promise<Paygraph> {
  const { config, logger } = options;
  const shared = await openShared(options);
  const { probePool } = shared;
  // Nothing here needs a restart to recover (the worker restarts its runner itself): /healthz answers while the process does.
  const health: Record<string, Check> = {};
  const readiness: Record<string, Check> = { database: probePool.database };
  const worker = options.roles.worker ? await startWorkerRole(options, shared) : null;
  if (worker) readiness.worker = worker.ready;
  const probes = probeRoutes({
    health,
    readiness: { ...readiness, ...options.readiness },
    timing: shared.probeTimes,
    metricsToken: config.METRICS_TOKEN,
    logger,
    instance: config.SERVICE_INSTANCE,
  });
  const api = options.roles.api
    ? await startApi(options, shared, probes)
    : await startWorkerProbes(config, probes, logger);

  let workerStopped: Promise<void> | null = null;
  const stopWorker = () => (workerStopped ??= worker ? worker.stop() : Promise.resolve());
  const { db, pool } = shared;
  return {
    url: api.url,
    db,
    pool,
    callbacks: shared.callbacks,
    events: shared.events,
    stopWorker,
    async stop() {
      // The worker's deliveries in flight may be answered by writes back to this API: it stops first.
      await stopWorker();
      await api.stop();
      await db.$disconnect();
      await Promise.all([pool.end(), probePool.stop(), shared.queuePool !== pool && shared.queuePool.end()]);
    },
  };
}

/** What the API and the worker both use: the callbacks, the database pools and clients, the outbox. */
interface Shared {
  callbacks: CallbackDefinition[];
  pool: pg.Pool;
  /** graphile-worker's: `pool`, or PostgreSQL itself behind a pooler (its runner LISTENs on a connection of it). */
  queuePool: pg.Pool;
  directUrl: string;
  db: Db;
  events: EventRecorder;
  admin: ReturnType<typeof createCallbackAdmin>;
  probeTimes: ReturnType<typeof probeTiming>;
  probePool: ReturnType<typeof createProbePool>;
  signinThrottle: ReturnType<typeof createSigninThrottle>;
  live: ReturnType<typeof createChangeFeed>;
}

async function openShared(options: PaygraphOptions): Promise<Shared> {
  const { config, logger } = options;
  const callbacks =
    options.callbacks ??
    loadCallbacks({
      file: config.CALLBACKS_FILE,
      schema,
      sharedSecret: options.signingSecret,
      env: options.env,
    });
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    application_name: PROCESS_NAME,
    max: config.WORKER_CONCURRENCY + 4,
    Client: config.DATABASE_PREPARED_STATEMENTS ? NamedStatementsClient : UnnamedStatementsClient,
  });
  onConnectionErrors(pool, lostConnection(pool, logger));
  const directUrl = options.databaseDirectUrl ?? options.databaseUrl;
  const queuePool =
    directUrl === options.databaseUrl
      ? pool
      : new pg.Pool({ connectionString: directUrl, application_name: PROCESS_NAME, max: config.WORKER_CONCURRENCY });
  if (queuePool !== pool) onConnectionErrors(queuePool, lostConnection(queuePool, logger));
  await prepareJobQueue(queuePool, logger);
  const ownSecrets = callbacks.filter((callback) => callback.secrets === null).map((callback) => callback.name);
  for (const made of await ensureCallbackSecrets(pool, ownSecrets))
    options.onSecretGenerated?.(made.callback, made.secret);
  const db = createPrismaClient(options.databaseUrl, config.DATABASE_POOL_SIZE, {
    api: options.roles.api,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
  });
  const events = createOutbox(callbacks, schema);
  const admin = createCallbackAdmin(pool, callbacks);
  const probeTimes = probeTiming(config.PROBE_TIMEOUT_MS);
  const probePool = createProbePool(options.databaseUrl, probeTimes, logger);
  registerQueueGauges(probePool.pool, probeTimes.checkMs);
  const signinThrottle = createSigninThrottle({
    pool,
    maxFailuresPerAccount: config.SIGNIN_MAX_FAILURES_PER_ACCOUNT,
    maxFailuresPerAddress: config.SIGNIN_MAX_FAILURES_PER_ADDRESS,
    maxSignupsPerAddress: config.SIGNUP_MAX_PER_ADDRESS,
    windowMinutes: config.SIGNIN_THROTTLE_MINUTES,
  });
  return {
    callbacks,
    pool,
    queuePool,
    directUrl,
    db,
    events,
    admin,
    probeTimes,
    probePool,
    signinThrottle,
    live: createChangeFeed(),
  };
}

// pg-pool's end() lets go of its connections before their sockets close: a database stopped right after
// (npm start stops its PostgreSQL last) may still cut one. Expected then, and no reason to warn.
const lostConnection = (pool: pg.Pool, logger: Logger) => (err: Error) =>
  pool.ending
    ? logger.debug({ err }, 'database connection closed while stopping')
    : logger.warn({ err }, 'database connection lost');

/** The callbacks worker and its sweeps; stopping it stops the sweeps first, then the deliveries in flight. */
async function startWorkerRole(
  options: PaygraphOptions,
  shared: Shared,
): Promise<{ ready: Check; stop(): Promise<void> }> {
  const { config, logger } = options;
  const { pool, callbacks } = shared;
  const timing = deliveryTiming({
    longestTimeoutMs: Math.max(0, ...callbacks.map((callback) => callback.timeoutMs)),
    staleLockGraceMs: config.STALE_LOCK_GRACE_MS,
    pumpIntervalMs: config.CALLBACK_PUMP_INTERVAL_MS,
  });
  const controls = createCallbackControls({ pool, callbacks, leaseMs: timing.leaseMs, logger });
  await ensureFlowSlots(
    pool,
    callbacks.flatMap((c) => (c.maxInFlight === null ? [] : [{ name: c.name, maxInFlight: c.maxInFlight }])),
  );
  const worker = await startWorker({
    deps: deliveryDeps(options, shared, { leaseMs: timing.leaseMs, controls }),
    databaseUrl: shared.directUrl,
    queuePool: shared.queuePool,
    concurrency: config.WORKER_CONCURRENCY,
    timing,
  });
  const retention = startRetentionSweep({
    pool,
    policy: {
      deliveredDays: config.CALLBACK_RETENTION_DAYS,
      deadDays: config.CALLBACK_DEAD_RETENTION_DAYS,
      batchSize: 500,
    },
    intervalMs: config.CALLBACK_RETENTION_SWEEP_MS,
    logger,
  });
  const controlsSweep = startControlsSweep(controls, timing.sweepIntervalMs, logger);
  return {
    ready: worker.ready,
    async stop() {
      controlsSweep.stop();
      retention.stop();
      await worker.stop();
    },
  };
}

function deliveryDeps(
  options: PaygraphOptions,
  shared: Shared,
  delivery: Pick<DeliveryDeps, 'leaseMs' | 'controls'>,
): DeliveryDeps {
  const { config, logger } = options;
  const { db, pool, callbacks } = shared;
  const systemContext: Context = {
    db,
    identity: { kind: 'system' },
    events: shared.events,
    callbacks: shared.admin,
    sessionTtlHours: 0,
    revokingIdentity: () => undefined,
    stripeLivemode: config.stripeLivemode,
    cardAuthenticationTimeoutMs: config.CARD_AUTHENTICATION_TIMEOUT_HOURS * 3_600_000,
    signinThrottle: shared.signinThrottle,
    queryLimits: {},
    clientAddress: 'system',
    live: shared.live,
  };
  return {
    pool,
    schema,
    // Payloads rendered together share their node lookups.
    systemContext: { ...systemContext, db: batchNodeLookups(db) },
    loneSystemContext: systemContext,
    callbacks: new Map(callbacks.map((callback) => [callback.name, callback])),
    storedSecrets: storedSecretReader(pool),
    retryPolicy: { baseDelayMs: config.CALLBACK_RETRY_BASE_MS },
    ...delivery,
    logger,
  };
}

/** The GraphQL API, its console and probes, listening on PORT. */
async function startApi(
  options: PaygraphOptions,
  shared: Shared,
  probes: ReturnType<typeof probeRoutes>,
): Promise<{ url: string | null; stop(): Promise<void> }> {
  const { config, logger } = options;
  const { db, events, admin, signinThrottle, live } = shared;
  // A minute bounds what a missed notification could cost; revocations themselves arrive by NOTIFY.
  const identityCache = createIdentityCache({ ttlMs: 60_000, maxEntries: 10_000 });
  const listener = await listenForChanges(shared.directUrl, live, logger, [
    revocationListener(identityCache, logger, {
      changed: (id) => live.publish('CredentialChanged', id, id),
      mayHaveMissed: () => live.publish('AnyCredentialChanged', true),
    }),
  ]);
  const hooks = loadHooks({
    file: config.CALLBACKS_FILE,
    schema,
    defaultSecret: options.signingSecret,
    env: options.env,
  });
  const server = createServer({
    db,
    schema,
    events,
    callbacks: admin,
    signinThrottle,
    live,
    hooks,
    identityCache,
    logger,
    probes,
    config,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${connectHost(config.HOST)}:${port}`,
    async stop() {
      // Requests in flight get as long as a mutation may take; the listener they may wait on stops after them.
      await closeServer(server, config.MUTATION_TIMEOUT_MS);
      await listener.stop();
    },
  };
}

/** A worker-only process counts its own deliveries; it shows them, and its health, on its own port. */
async function startWorkerProbes(
  config: Config,
  probes: ReturnType<typeof probeRoutes>,
  logger: Logger,
): Promise<{ url: null; stop(): Promise<void> }> {
  if (config.METRICS_PORT === undefined) return { url: null, stop: async () => undefined };
  const probeServer = await startProbeServer(config.METRICS_PORT, config.HOST, probes, logger);
  logger.info({ port: probeServer.port }, 'serving /metrics and /healthz');
  return { url: null, stop: probeServer.stop };
}
