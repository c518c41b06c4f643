import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import { identify } from './auth/identity.js';
import type { CallbackAdmin } from './callbacks/admin.js';
import type { EventRecorder } from './callbacks/events.js';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { Logger } from './logger.js';
import { metricsRegistry } from './metrics.js';
import type { Context } from './schema/context.js';

export interface ServerDeps {
  db: Db;
  schema: GraphQLSchema;
  events: EventRecorder;
  callbacks: CallbackAdmin;
  logger: Logger;
  config: Pick<Config, 'SESSION_TTL_HOURS' | 'MAX_QUERY_DEPTH' | 'MAX_QUERY_COST' | 'MAX_BODY_BYTES'>;
}

/** HTTP for the API: /graphql, /healthz, /readyz and /metrics, nothing else. */
export function createServer({ db, schema, events, callbacks, logger, config }: ServerDeps): Server {
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: { title: 'Paygraph' },
    logging: {
      // Yoga reports every client error it answers; ours are logged where they are unexpected (maskError).
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.debug(args.map(String).join(' ')),
      warn: (...args) => logger.debug(args.map(String).join(' ')),
      error: (...args) => logger.debug(args.map(String).join(' ')),
    },
    context: async ({ request }) => ({
      db,
      events,
      callbacks,
      identity: await identify(db, request.headers.get('authorization')),
      sessionTtlHours: config.SESSION_TTL_HOURS,
    }),
    maskedErrors: {
      // Anything that is not one of our coded errors is logged here and reaches the client as a bare code.
      isDev: false,
      maskError: (error) => {
        const original = isGraphQLError(error) ? (error.originalError ?? error) : error;
        if (isGraphQLError(original) && original.extensions?.code) return withoutOriginalError(original);
        // Parse and validation errors (unknown field, depth or cost over the limit) are the client's to fix.
        if (isGraphQLError(original) && !original.originalError) {
          return new GraphQLError(original.message, { nodes: original.nodes, extensions: { code: 'BAD_USER_INPUT' } });
        }
        logger.error({ err: original }, 'unexpected error while executing a request');
        return new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      },
    },
    plugins: [
      useStableErrorCodes,
      maxDepthPlugin({ n: config.MAX_QUERY_DEPTH, propagateOnRejection: true, exposeLimits: true }),
      costLimitPlugin({ maxCost: config.MAX_QUERY_COST, exposeLimits: true }),
    ],
  });

  const operations = operationsHandler({ db, logger });
  return createHttpServer((req, res) => {
    if (operations(req, res)) return;
    const sizeProblem = bodySizeProblem(req, config.MAX_BODY_BYTES);
    if (sizeProblem) return sendJson(res, sizeProblem.status, graphqlError(sizeProblem.message, sizeProblem.code));
    return void yoga(req, res);
  });
}

/**
 * /healthz (liveness: `alive`, true unless given), /readyz (the database answers) and /metrics.
 * Returns whether it answered the request.
 */
function operationsHandler({ db, logger, alive = () => true }: { db: Db; logger: Logger; alive?: () => boolean }) {
  const routes: Record<string, (res: ServerResponse) => Promise<void>> = {
    '/healthz': async (res) => (alive() ? sendJson(res, 200, { status: 'ok' }) : sendJson(res, 503, { status: 'worker stopped' })),
    '/readyz': async (res) => {
      const ready = await db.$queryRaw`select 1`.then(() => true, () => false);
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'database unreachable' });
    },
    '/metrics': async (res) => {
      res.writeHead(200, { 'content-type': metricsRegistry.contentType });
      res.end(await metricsRegistry.metrics());
    },
  };
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const route = routes[(req.url ?? '/').split('?')[0] ?? '/'];
    if (!route) return false;
    route(res).catch((err) => {
      logger.error({ err }, 'route failed');
      sendJson(res, 500, {});
    });
    return true;
  };
}

/** A worker-only process's own /healthz, /readyz and /metrics (METRICS_PORT), for orchestrators and Prometheus. */
export function createOperationsServer(deps: { db: Db; logger: Logger; alive: () => boolean }): Server {
  const operations = operationsHandler(deps);
  return createHttpServer((req, res) => {
    if (!operations(req, res)) sendJson(res, 404, { status: 'not found' });
  });
}

function bodySizeProblem(req: IncomingMessage, maxBytes: number) {
  if (req.method !== 'POST') return null;
  const length = req.headers['content-length'];
  // Without a declared length the body could be endless; browsers and GraphQL clients always send one.
  if (length === undefined) return { status: 411, code: 'BAD_USER_INPUT', message: 'Content-Length is required' };
  if (Number(length) > maxBytes) {
    return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `Request body is over ${maxBytes} bytes` };
  }
  return null;
}

// By name, not instanceof: graphql can be loaded twice (its ESM and CJS builds), as under a test runner.
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError';
}

// Yoga's own codes for a request the client got wrong; ours is one code for all of them.
const YOGA_CLIENT_ERROR_CODES = new Set(['BAD_REQUEST', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']);

// Yoga attaches the parser's own error (quoting the body) to HTTP errors; the client gets the code and message.
function withoutOriginalError(error: GraphQLError): GraphQLError {
  const code = String(error.extensions.code);
  if (!error.extensions.originalError && !YOGA_CLIENT_ERROR_CODES.has(code)) return error;
  const { originalError: _dropped, ...extensions } = error.extensions;
  if (YOGA_CLIENT_ERROR_CODES.has(code)) extensions.code = 'BAD_USER_INPUT';
  return new GraphQLError(error.message, { nodes: error.nodes, path: error.path, extensions });
}

/** Validation errors skip maskError, so their codes are rewritten as the result goes out. */
const useStableErrorCodes: Plugin = {
  onResultProcess({ result, setResult }) {
    if (Array.isArray(result) || !('errors' in result) || !result.errors?.length) return;
    setResult({ ...result, errors: result.errors.map((error) => withoutOriginalError(error as GraphQLError)) });
  },
};

const graphqlError = (message: string, code: string) => ({ errors: [{ message, extensions: { code } }] });

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
