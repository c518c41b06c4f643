import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import { identify } from './auth/identity.js';
import type { IdentityCache } from './auth/identity-cache.js';
import type { SigninThrottle } from './auth/signin-throttle.js';
import type { CallbackAdmin } from './callbacks/admin.js';
import type { EventRecorder } from './callbacks/events.js';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { HookDefinition } from './hooks/load.js';
import { useBlockingHooks } from './hooks/run-hooks.js';
import type { ChangeFeed } from './live/change-feed.js';
import { useStreamLimits } from './live/stream-limits.js';
import type { Logger } from '../packages/base/logger.js';
import { consoleRoutes } from './console/route.js';
import { offlineGraphiQL } from './graphiql/page.js';
import { routeFor, runRoute, trackResponses, type Route } from './probes.js';
import { useHiddenSuggestions } from './request/hide-suggestions.js';
import { databaseUnavailableAnswers, isDatabaseUnavailable } from './request/database-unavailable.js';
import { useMutationTransaction } from './request/mutation-transaction.js';
import { usePasswordsBeforeTransaction } from './request/passwords-before-transaction.js';
import { useRejectNulBytes } from './request/reject-nul-bytes.js';
import type { Context } from './schema/context.js';
import { shopRoutes } from './shop/route.js';
import { stripeWebhookRoute } from './stripe-webhook/receive.js';

export interface ServerDeps {
  db: Db;
  schema: GraphQLSchema;
  events: EventRecorder;
  callbacks: CallbackAdmin;
  signinThrottle: SigninThrottle;
  live: ChangeFeed;
  /** Blocking hooks of callbacks.yml, asked before the mutations they guard. */
  hooks: readonly HookDefinition[];
  /** Sessions and tokens verified moments ago, kept current by NOTIFY (src/auth/identity-cache.ts). */
  identityCache?: IdentityCache;
  logger: Logger;
  /** /healthz, /readyz and /metrics (src/probes.ts). */
  probes: Record<string, Route>;
  config: Pick<
    Config,
    | 'SESSION_TTL_HOURS'
    | 'MAX_QUERY_DEPTH'
    | 'MAX_QUERY_COST'
    | 'MAX_ALIASES'
    | 'MAX_BODY_BYTES'
    | 'MAX_STREAMS_PER_SESSION'
    | 'MAX_STREAMS_PER_ADDRESS'
    | 'MUTATION_TIMEOUT_MS'
    | 'GRAPHQL_INTROSPECTION'
    | 'GRAPHIQL'
    | 'TRUST_PROXY'
    | 'STRIPE_WEBHOOK_SECRET'
    | 'STRIPE_ACCOUNT_ID'
    | 'stripeLivemode'
    | 'CARD_AUTHENTICATION_TIMEOUT_HOURS'
    | 'STRIPE_PUBLISHABLE_KEY'
    | 'STRIPE_JS_URL'
    | 'SHOP'
  >;
}

type ServerContext = { req: IncomingMessage; res: ServerResponse };

/** HTTP for the API: /graphql, Stripe's events at /stripe/webhook, the probes, the delivery console and (SHOP) the example shop, nothing else. */
export function createServer(deps: ServerDeps): Server {
  const { db, events, logger, probes, config } = deps;
  const yoga = graphqlHandler(deps);
  const routes = {
    ...probes,
    ...consoleRoutes(),
    ...(config.SHOP ? shopRoutes(config) : {}),
    '/stripe/webhook': stripeWebhookRoute({
      db,
      events,
      logger,
      secret: config.STRIPE_WEBHOOK_SECRET,
      account: config.STRIPE_ACCOUNT_ID,
      maxBodyBytes: config.MAX_BODY_BYTES,
    }),
  };
  return trackResponses(
    createHttpServer((req, res) => {
      const probe = routeFor(routes, req);
      if (probe) return runRoute(probe, req, res, logger);
      const sizeProblem = bodySizeProblem(req, config.MAX_BODY_BYTES);
      if (sizeProblem) return sendJson(res, sizeProblem.status, graphqlError(sizeProblem.message, sizeProblem.code));
      return void yoga(req, res);
    }),
  );
}

/** /graphql: Yoga on the schema, with the request's context, the masking of unexpected errors and the plugins that guard a request. */
function graphqlHandler({
  db,
  schema,
  events,
  callbacks,
  signinThrottle,
  live,
  hooks,
  identityCache,
  logger,
  config,
}: ServerDeps) {
  const queryLimits = { depth: config.MAX_QUERY_DEPTH, complexity: config.MAX_QUERY_COST };
  const graphiql = offlineGraphiQL();
  const unavailable = databaseUnavailableAnswers(logger);
  const stripeJs = { publishableKey: config.STRIPE_PUBLISHABLE_KEY ?? null, stripeJsUrl: config.STRIPE_JS_URL };
  return createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // Bounded before Yoga sees the request (bodySizeProblem: a Content-Length is required and capped,
    // and Node's parser reads no more than it declares). Yoga's own limit piped every body through a
    // TransformStream: 0.5 to 1 ms of the API's CPU per createPurchase (bench:mutations).
    maxRequestBodySize: false,
    graphiql: config.GRAPHIQL ? { title: 'Paygraph' } : false,
    renderGraphiQL: graphiql.render,
    // Yoga reports every client error it answers; ours are logged where they are unexpected (maskError).
    logging: yogaLogging(logger),
    context: async ({ request, req }) => ({
      db,
      events,
      callbacks,
      signinThrottle,
      live,
      queryLimits,
      clientAddress: clientAddress(req, config.TRUST_PROXY),
      identity: await identify(db, request.headers.get('authorization'), identityCache),
      sessionTtlHours: config.SESSION_TTL_HOURS,
      revokingIdentity: (id: string) => identityCache?.revoking(id),
      stripeLivemode: config.stripeLivemode,
      cardAuthenticationTimeoutMs: config.CARD_AUTHENTICATION_TIMEOUT_HOURS * 3_600_000,
      stripeJs,
    }),
    maskedErrors: {
      // Anything that is not one of our coded errors is logged here and reaches the client as a bare code.
      isDev: false,
      maskError: (error) => {
        const original = isGraphQLError(error) ? (error.originalError ?? error) : error;
        if (isGraphQLError(original) && original.extensions?.code) return withoutOriginalError(original);
        // Parse and validation errors (unknown field, too many aliases) are the client's to fix.
        if (isGraphQLError(original) && !original.originalError) {
          return new GraphQLError(original.message, { nodes: original.nodes, extensions: { code: 'BAD_USER_INPUT' } });
        }
        if (isDatabaseUnavailable(original)) return unavailable();
        logger.error({ err: original }, 'unexpected error while executing a request');
        return new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      },
    },
    plugins: [
      useStableErrorCodes,
      ...(config.GRAPHIQL ? [graphiql.plugin] : []),
      useRejectNulBytes(),
      maxAliasesPlugin({ n: config.MAX_ALIASES, exposeLimits: true }),
      ...(config.GRAPHQL_INTROSPECTION ? [] : [useDisableIntrospection(), useHiddenSuggestions()]),
      useMutationTransaction({ db, timeoutMs: config.MUTATION_TIMEOUT_MS, hooksFollow: hooks.length > 0 }),
      // Its work is done in onExecute, before the transaction plugin's execution opens the transaction.
      usePasswordsBeforeTransaction(),
      // After the transaction plugin: hooks are asked before its transaction opens, and rewritten arguments reach it.
      useBlockingHooks(hooks, logger),
      useStreamLimits({ perSession: config.MAX_STREAMS_PER_SESSION, perAddress: config.MAX_STREAMS_PER_ADDRESS }),
    ],
  });
}

// Yoga logs at debug several times per request: the message is only built when debug is on.
function yogaLogging(logger: Logger) {
  const debug = (...args: unknown[]) => {
    if (logger.isLevelEnabled('debug')) logger.debug(args.map(String).join(' '));
  };
  return { debug, info: debug, warn: debug, error: debug };
}

/** The peer's address; behind a trusted proxy, the address the proxy appended last to X-Forwarded-For. */
function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy
    ? String(req.headers['x-forwarded-for'] ?? '')
        .split(',')
        .pop()
        ?.trim()
    : undefined;
  return forwarded || req.socket.remoteAddress || 'unknown';
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
  // A body that is not a GraphQL request at all (malformed JSON) is a 400 whatever the client
  // accepts, as the GraphQL-over-HTTP spec asks; Yoga answers 200 to application/json clients.
  if (code === 'BAD_REQUEST') extensions.http = { status: 400 };
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
