import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createCallbackAdmin } from './callbacks/admin.js';
import type { DeliveryDeps } from './callbacks/deliver.js';
import type { EventRecorder } from './callbacks/events.js';
import { loadCallbacks, type CallbackDefinition } from './callbacks/load.js';
import { registerQueueGauges } from './callbacks/metrics.js';
import { createOutbox } from './callbacks/outbox.js';
import type { Config } from './config.js';
import { createPrismaClient, type Db } from './db/client.js';
import type { Logger } from './logger.js';
import { schema } from './schema/index.js';
import { createOperationsServer, createServer } from './server.js';
import { prepareJobQueue, startWorker } from './worker.js';

export interface PaygraphOptions {
  config: Config;
  databaseUrl: string;
  signingSecret: string;
  logger: Logger;
  /** Which roles this process plays; `npm start` plays both. */
  roles: { api: boolean; worker: boolean };
  env?: NodeJS.ProcessEnv;
}

export interface Paygraph {
  /** The API's base URL, e.g. http://127.0.0.1:4000, when this process serves the API. */
  url: string | null;
  db: Db;
  pool: pg.Pool;
  callbacks: CallbackDefinition[];
  /** The outbox, for code that writes outside GraphQL and still wants its callbacks. */
  events: EventRecorder;
  stop(): Promise<void>;
}

/** Wires one Paygraph process: API, worker or both, on a database whose migrations are applied. */
export async function startPaygraph(options: PaygraphOptions): Promise<Paygraph> {
  const { config, logger } = options;
  const callbacks = loadCallbacks({
    file: config.CALLBACKS_FILE,
    schema,
    defaultSecret: options.signingSecret,
    env: options.env,
  });
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: config.WORKER_CONCURRENCY + 4 });
  // An idle client losing its connection is reported here; queries on it fail and are retried by their callers.
  pool.on('error', (err) => logger.warn({ err }, 'database connection lost'));
  pool.on('connect', (client) => client.on('error', (err) => logger.warn({ err }, 'database connection lost')));
  await prepareJobQueue(pool, logger);
  const db = createPrismaClient(options.databaseUrl);
  const events = createOutbox(callbacks);
  const admin = createCallbackAdmin(pool, callbacks);
  registerQueueGauges(pool);
  const stops: (() => Promise<void>)[] = [];

  if (options.roles.worker) {
    const longestTimeout = Math.max(0, ...callbacks.map((callback) => callback.timeoutMs));
    const deps: DeliveryDeps = {
      pool,
      schema,
      systemContext: { db, identity: { kind: 'system' }, events, callbacks: admin, sessionTtlHours: 0 },
      callbacks: new Map(callbacks.map((callback) => [callback.name, callback])),
      retryPolicy: { baseDelayMs: config.CALLBACK_RETRY_BASE_MS },
      leaseMs: longestTimeout + config.STALE_LOCK_GRACE_MS / 2,
      logger,
    };
    const worker = await startWorker({
      deps,
      concurrency: config.WORKER_CONCURRENCY,
      staleLockMs: longestTimeout + config.STALE_LOCK_GRACE_MS,
    });
    stops.push(() => worker.stop());
    if (!options.roles.api && config.METRICS_PORT !== undefined) {
      const operations = createOperationsServer({ db, logger, alive: worker.running });
      await listen(operations, config.METRICS_PORT, config.HOST);
      stops.unshift(() => close(operations));
    }
  }

  let url: string | null = null;
  if (options.roles.api) {
    const server = createServer({ db, schema, events, callbacks: admin, logger, config });
    const port = await listen(server, config.PORT, config.HOST);
    url = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
    stops.unshift(() => close(server));
  }

  return {
    url,
    db,
    pool,
    callbacks,
    events,
    async stop() {
      for (const stop of stops) await stop();
      await db.$disconnect();
      await pool.end();
    },
  };
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
