import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import {
  authenticationError,
  internalError,
  invalidRequest,
  rateLimited,
  StripeLocalError,
  unrecognizedUrl,
} from '../errors.js';
import { newId } from '../ids.js';
import { Account } from '../resources/account.js';
import { API_VERSION } from '../resources/events.js';
import { applyExpand, renderById } from '../resources/expand.js';
import { requestDigest, type Claim } from '../resources/idempotency.js';
import { addWebhookEndpoint } from '../resources/webhook-endpoints.js';
import { AuthenticationPages } from './authentication-page.js';
import { chargeRoutes } from './charge-routes.js';
import { CONTROL_PATH, controlRoutes, takeFault } from './controls.js';
import { customerRoutes } from './customer-routes.js';
import { customerSourceRoutes } from './customer-source-routes.js';
import { disputeRoutes } from './dispute-routes.js';
import { eventRoutes } from './event-routes.js';
import { decodeForm } from './form-body.js';
import { parse, stringArray } from './params.js';
import { paymentIntentRoutes } from './payment-intent-routes.js';
import { paymentMethodRoutes } from './payment-method-routes.js';
import { refundRoutes } from './refund-routes.js';
import { Router } from './router.js';
import { setupIntentRoutes } from './setup-intent-routes.js';
import { tokenRoutes } from './token-routes.js';
import { WebhookDelivery, type DeliveryLogger } from './webhook-delivery.js';
import { webhookEndpointRoutes } from './webhook-endpoint-routes.js';

const MAX_BODY_BYTES = 1_000_000;
const TEST_KEY = /^sk_test_[A-Za-z0-9_]{1,247}$/;
const NO_KEY =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";

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
}

export interface AccountWebhook {
  /** The secret key (sk_test_) of the account the endpoint belongs to. */
  accountKey: string;
  url: string;
  secret: string;
  /** Stripe's enabled_events; `*` for all. */
  enabledEvents: string[];
}

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** The emulator's HTTP server: every request ends in a Stripe-shaped answer, whatever it carries. */
export function createStripeLocalServer(options: ServerOptions) {
  const accounts = new Map<string, Account>();
  const pages = new AuthenticationPages();
  const delivery = new WebhookDelivery(options.logger);
  let baseUrl = 'http://127.0.0.1';
  const hooks = {
    onEvent: delivery.onEvent.bind(delivery),
    baseUrl: () => baseUrl,
    registerAuthentication: pages.register.bind(pages),
  };
  const router = new Router()
    .add(customerRoutes)
    .add(customerSourceRoutes)
    .add(tokenRoutes)
    .add(paymentMethodRoutes)
    .add(setupIntentRoutes)
    .add(paymentIntentRoutes)
    .add(chargeRoutes)
    .add(refundRoutes)
    .add(disputeRoutes)
    .add(eventRoutes)
    .add(webhookEndpointRoutes);
  if (options.controls)
    router.add(controlRoutes({ clockMoved: () => delivery.poke(), accountCount: () => accounts.size }));

  function accountFor(authorization: string | undefined): Account {
    const key = apiKey(authorization);
    if (!key) throw authenticationError(NO_KEY);
    return accountOf(key);
  }

  function accountOf(key: string): Account {
    const shown = `${key.slice(0, 8)}****${key.slice(-4)}`;
    if (!TEST_KEY.test(key)) {
      const why =
        key.startsWith('sk_live_') || key.startsWith('rk_live_')
          ? ' stripe-local accepts test-mode keys (sk_test_...) only: it never moves real money.'
          : '';
      throw authenticationError(`Invalid API Key provided: ${shown}.${why}`);
    }
    let account = accounts.get(key);
    if (!account) accounts.set(key, (account = new Account(key, hooks)));
    return account;
  }

  if (options.webhook) {
    const { accountKey, ...endpoint } = options.webhook;
    if (!TEST_KEY.test(accountKey))
      throw new Error(
        "the webhook endpoint's account key must be a test-mode secret key (sk_test_ and letters, digits or _)",
      );
    addWebhookEndpoint(accountOf(accountKey), { ...endpoint, description: 'STRIPE_LOCAL_WEBHOOK_URL, made at start' });
  }

  async function api(req: IncomingMessage, url: URL, body: string, requestId: string): Promise<Reply> {
    let finish: Extract<Claim, { kind: 'first' }>['finish'] | undefined;
    try {
      const account = accountFor(req.headers.authorization);
      const method = req.method ?? 'GET';
      const params = decodeForm(method === 'POST' ? body : url.search.slice(1));
      const expand = params.expand === undefined ? [] : parse(stringArray, params.expand as never);
      delete params.expand;
      const found = router.match(method, url.pathname);
      if (!found) throw unrecognizedUrl(method, url.pathname);
      const key = header(req, 'idempotency-key');
      if (key !== undefined && method === 'POST') {
        if (key.length > 255)
          throw invalidRequest('Idempotency keys can be at most 255 characters long.', { param: 'Idempotency-Key' });
        const digest = requestDigest(method, url.pathname, { params, expand });
        for (;;) {
          const claim = account.idempotency.claim(key, digest, account.now());
          if (claim.kind === 'first') {
            finish = claim.finish;
            break;
          }
          const saved = await claim.response;
          // The first request with this key did not run (a fault): this one runs instead.
          if (saved)
            return {
              status: saved.status,
              body: replayBody(account, saved.body),
              headers: { 'idempotent-replayed': 'true', 'original-request': saved.requestId },
            };
        }
      }
      if (!url.pathname.startsWith(CONTROL_PATH)) {
        const fault = takeFault(account, url.pathname);
        if (fault?.delayMs) await delay(fault.delayMs);
        if (fault?.status) {
          finish?.(null);
          finish = undefined;
          throw fault.status === 429 ? rateLimited() : internalError();
        }
      }
      account.request = { id: requestId, idempotency_key: key ?? null };
      const reply = {
        status: 200,
        body: JSON.stringify(
          applyExpand(account, found.route.handler({ account, params, path: found.path, expand }), expand),
        ),
      };
      finish?.({ ...reply, requestId });
      return reply;
    } catch (error) {
      const known = error instanceof StripeLocalError;
      if (!known) options.logger.error({ err: error, path: url.pathname }, 'request failed unexpectedly');
      const failure = known ? error : internalError();
      const reply = {
        status: failure.status,
        body: JSON.stringify({ error: { ...failure.body, request_log_url: null } }),
      };
      // Stripe saves an answer to an idempotent request once it ran, errors included, but not its own failures.
      finish?.(known ? { ...reply, requestId } : null);
      return reply;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newId('req', 14);
    const url = new URL(req.url ?? '/', 'http://stripe-local');
    const body = await readBody(req);
    let reply: Reply;
    if (body === null) {
      reply = {
        status: 413,
        body: JSON.stringify({
          error: { type: 'invalid_request_error', message: `Request bodies are limited to ${MAX_BODY_BYTES} bytes.` },
        }),
      };
    } else if (url.pathname.startsWith('/authenticate/')) {
      reply = pages.handle(req.method ?? 'GET', url.pathname.slice('/authenticate/'.length), new URLSearchParams(body));
    } else if (url.pathname === '/healthz') {
      reply = { status: 200, body: JSON.stringify({ ok: true }) };
    } else {
      reply = await api(req, url, body, requestId);
    }
    if (res.destroyed) return;
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'request-id': requestId,
      'stripe-version': header(req, 'stripe-version') ?? API_VERSION,
      ...reply.headers,
    });
    res.end(reply.body);
  }

  const server: Server = createServer((req, res) => {
    req.on('error', () => res.destroy());
    handle(req, res).catch((error: unknown) => {
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
  };
}

/** A replayed response: word for word, or for an older key its object as it is now. */
function replayBody(account: Account, body: string | { objectId: string }): string {
  return typeof body === 'string' ? body : JSON.stringify(renderById(account, body.objectId) ?? { id: body.objectId });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function apiKey(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme = ''] = authorization.trim().split(/\s/, 1);
  const credentials = authorization.trim().slice(scheme.length).trim();
  if (/^bearer$/i.test(scheme)) return credentials || undefined;
  if (/^basic$/i.test(scheme)) return Buffer.from(credentials, 'base64').toString().split(':')[0] || undefined;
  return undefined;
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
