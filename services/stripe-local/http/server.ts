import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { internalError } from '../errors.js';
import { newId } from '../ids.js';
import { addWebhookEndpoint, START_ENDPOINT_DESCRIPTION } from '../resources/webhook-endpoints.js';
import { StateFile } from '../state/state-file.js';
import { SDK_API_VERSION } from '../resources/api-versions.js';
import { Accounts, restrictedKeyRoutes, TEST_KEY } from './accounts.js';
import { answerApiCall, type ApiDeps, type Reply } from './api-call.js';
import { AuthenticationPages } from './authentication-page.js';
import { chargeRoutes } from './charge-routes.js';
import { controlRoutes } from './controls.js';
import { customerRoutes } from './customer-routes.js';
import { customerSourceRoutes } from './customer-source-routes.js';
import { disputeRoutes } from './dispute-routes.js';
import { eventRoutes } from './event-routes.js';
import { paymentIntentRoutes } from './payment-intent-routes.js';
import { paymentMethodRoutes } from './payment-method-routes.js';
import { refundRoutes } from './refund-routes.js';
import { Router, type Route } from './router.js';
import { setupIntentRoutes } from './setup-intent-routes.js';
import { CORS_HEADERS, corsPreflight, stripeJsReply } from '../stripejs/routes.js';
import { tokenRoutes } from './token-routes.js';
import { WebhookDelivery, type DeliveryLogger } from './webhook-delivery.js';
import { webhookEndpointRoutes } from './webhook-endpoint-routes.js';

const MAX_BODY_BYTES = 1_000_000;

export interface Logger extends DeliveryLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface ServerOptions {
  logger: Logger;
  /** An endpoint of one account, made at start (STRIPE_LOCAL_WEBHOOK_URL): the stack's receiver, for its own account only. */
  webhook?: AccountWebhook;
  /** The test-only control path (faults, clock, webhook order). */
  controls: boolean;
  /** Where every account's state is kept across restarts (state/state-file.ts); in memory only when absent. */
  stateDir?: string;
  /** How long a written object stays out of search results (STRIPE_LOCAL_SEARCH_LAG_MS); 0 or unset: at once. */
  searchLagMs?: number;
}

export interface AccountWebhook {
  /** The secret key (sk_test_) of the account the endpoint belongs to. */
  accountKey: string;
  url: string;
  secret: string;
  /** Stripe's enabled_events; `*` for all. */
  enabledEvents: string[];
}

/** The emulator's HTTP server: every request ends in a Stripe-shaped answer, whatever it carries. */
export function createStripeLocalServer(options: ServerOptions) {
  const pages = new AuthenticationPages();
  const delivery = new WebhookDelivery(options.logger);
  let baseUrl = 'http://127.0.0.1';
  const state = options.stateDir === undefined ? undefined : new StateFile(options.stateDir, options.logger);
  const accounts = new Accounts({
    onEvent: delivery.onEvent.bind(delivery),
    baseUrl: () => baseUrl,
    registerAuthentication: pages.register.bind(pages),
    ...(state && { touched: state.touched.bind(state) }),
    searchLagMs: options.searchLagMs ?? 0,
  });
  state?.load(accounts);
  if (options.webhook) addStartEndpoint(accounts, options.webhook);
  const router = routerFor(options, () => delivery.poke(), accounts);
  const deps = { accounts, router, logger: options.logger };
  const server: Server = createServer((req, res) => {
    req.on('error', () => res.destroy());
    respond(deps, pages, req, res, state).catch((error: unknown) => {
      options.logger.error({ err: error }, 'response failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: internalError().body }));
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  server.keepAliveTimeout = 60_000;
  return {
    server,
    setBaseUrl(url: string) {
      baseUrl = url;
    },
    stopDelivery: () => delivery.stop(),
    closeState: () => state?.close(),
  };
}

/** Every route of Stripe's API the emulator serves (spec/extract.ts keeps the spec's part of these). */
export const apiRoutes: readonly (readonly Route[])[] = [
  customerRoutes,
  customerSourceRoutes,
  tokenRoutes,
  paymentMethodRoutes,
  setupIntentRoutes,
  paymentIntentRoutes,
  chargeRoutes,
  refundRoutes,
  disputeRoutes,
  eventRoutes,
  webhookEndpointRoutes,
];

/** Every resource's routes, and the test-only controls when they are on. */
function routerFor(options: ServerOptions, clockMoved: () => void, accounts: Accounts): Router {
  const router = new Router();
  for (const routes of apiRoutes) router.add(routes);
  if (options.controls)
    router.add(controlRoutes({ clockMoved, accountCount: () => accounts.size })).add(restrictedKeyRoutes(accounts));
  return router;
}

/** STRIPE_LOCAL_WEBHOOK_URL: an endpoint of the one account it names, as if that account had made it. */
function addStartEndpoint(accounts: Accounts, webhook: AccountWebhook): void {
  const { accountKey, ...endpoint } = webhook;
  if (!TEST_KEY.test(accountKey))
    throw new Error(
      "the webhook endpoint's account key must be a test-mode secret key (sk_test_ and letters, digits or _)",
    );
  addWebhookEndpoint(accounts.of(accountKey), { ...endpoint, description: START_ENDPOINT_DESCRIPTION });
}

/** Every request ends in a Stripe-shaped answer: the API, the 3-D Secure pages, or the health check. */
async function respond(
  deps: ApiDeps,
  pages: AuthenticationPages,
  req: IncomingMessage,
  res: ServerResponse,
  state: StateFile | undefined,
): Promise<void> {
  const requestId = newId('req', 14);
  const url = new URL(req.url ?? '/', 'http://stripe-local');
  const body = await readBody(req);
  let reply: Reply;
  if (body === null) {
    const message = `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`;
    reply = { status: 413, body: JSON.stringify({ error: { type: 'invalid_request_error', message } }) };
  } else if (url.pathname.startsWith('/authenticate/')) {
    reply = pages.handle(
      req.method ?? 'GET',
      url.pathname.slice('/authenticate/'.length),
      new URLSearchParams(body),
      url.searchParams,
    );
  } else if (url.pathname === '/v3' || url.pathname.startsWith('/v3/')) {
    reply = await stripeJsReply(req.method ?? 'GET', url);
  } else if (req.method === 'OPTIONS') {
    reply = corsPreflight();
  } else if (url.pathname === '/healthz') {
    reply = { status: 200, body: JSON.stringify({ ok: true }) };
  } else {
    reply = await answerApiCall(deps, req, url, body, requestId);
  }
  // On disk before it is answered: a kill -9 after the answer keeps it.
  if (req.method === 'GET') state?.discard();
  else await state?.commit();
  if (res.destroyed) return;
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'request-id': requestId,
    // An API call names the version it was answered in (api-call.ts); anything else, the SDK's.
    'stripe-version': SDK_API_VERSION,
    ...CORS_HEADERS,
    ...reply.headers,
  });
  res.end(reply.body);
}

/** The body as text, or null past the limit (the rest is read and dropped, so the answer still reaches the client). */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
    }
  } catch {
    return '';
  }
  return size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8');
}
