import net from 'node:net';
import type { RequestHandler } from 'micro';
import { listen } from '../../packages/testing/listen.js';
import { TEST_SIGNING_SECRET } from '../../packages/testing/signing-secret.js';
import { TEST_SEARCH_LAG_MS } from '../../packages/testing/stripe-lookups.js';
import { pino } from 'pino';
import { chargeCustomerHandler } from '../../services/charge-customer/index.js';
import { createCustomerHandler } from '../../services/create-customer/index.js';
import { startLocalStripe } from '../../services/lib/local-stripe.js';
import { paygraphClient } from '../../services/lib/paygraph-client.js';
import { createStripe } from '../../services/lib/stripe-client.js';
import { startTestPaygraph, type TestPaygraph } from './paygraph.js';

/**
 * The repository's own callbacks.yml, the services and a local Stripe: the whole workflow on loopback.
 * `extraCallbacks` are entries added under `callbacks:` (indented two spaces); `env` adds to the API's.
 */
export async function startPaymentStack(options: { extraCallbacks?: string; env?: Record<string, string> } = {}) {
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  // The API must exist to mint the services' tokens, and the services to be named in callbacks.yml:
  // so the API starts first with a placeholder for their URLs, filled once they listen.
  const urls: Record<string, string> = {};
  const forward =
    (name: string): RequestHandler =>
    async (req, res) =>
      handlers[name]!(req, res);
  const handlers: Record<string, RequestHandler> = {};
  const createCustomer = await listen(forward('create'));
  const chargeCustomer = await listen(forward('charge'));
  urls.CREATE_CUSTOMER_URL = createCustomer.url;
  urls.CHARGE_CUSTOMER_URL = chargeCustomer.url;
  const app: TestPaygraph = await startTestPaygraph({
    callbacksYaml:
      (await import('node:fs')).readFileSync(new URL('../../callbacks.yml', import.meta.url), 'utf8') +
      (options.extraCallbacks ?? ''),
    env: { ...urls, STRIPE_WEBHOOK_SECRET: TEST_STRIPE_WEBHOOK_SECRET, ...options.env },
  });
  // The stack account's events go to the API's /stripe/webhook, signed as Stripe signs them.
  const stripeServer = await startLocalStripe({
    webhook: { accountKey: TEST_STRIPE_KEY, url: `${app.url}/stripe/webhook`, secret: TEST_STRIPE_WEBHOOK_SECRET },
    searchLagMs: TEST_SEARCH_LAG_MS,
  });
  // The services reach Stripe through a switch, so a test can take Stripe away and bring it back.
  const stripeSwitch = await startSwitch(stripeServer.url);
  const stripe = createStripe(TEST_STRIPE_KEY, stripeSwitch.url);
  const graphqlUrl = `${app.url}/graphql`;
  handlers.create = createCustomerHandler({
    stripe,
    paygraph: paygraphClient(graphqlUrl, await app.accessToken('customers:write')),
    signingSecret: TEST_SIGNING_SECRET,
    returnUrl: `${app.url}/console/`,
    logger,
  });
  handlers.charge = chargeCustomerHandler({
    stripe,
    paygraph: paygraphClient(graphqlUrl, await app.accessToken('purchases:settle')),
    signingSecret: TEST_SIGNING_SECRET,
    returnUrl: `${app.url}/console/`,
    logger,
  });
  return {
    app,
    stripe: createStripe(TEST_STRIPE_KEY, stripeServer.url),
    stripeUrl: stripeServer.url,
    webhookSecret: TEST_STRIPE_WEBHOOK_SECRET,
    stripeSwitch,
    createCustomerUrl: createCustomer.url,
    chargeCustomerUrl: chargeCustomer.url,
    async stop() {
      await app.stop();
      await Promise.all([createCustomer.close(), chargeCustomer.close()]);
      await stripeSwitch.close();
      await stripeServer.stop();
    },
  };
}

export type PaymentStack = Awaited<ReturnType<typeof startPaymentStack>>;

export const TEST_STRIPE_WEBHOOK_SECRET = 'whsec_paygraph_test_stripe_events';
/** The stack's account at the local Stripe: the one whose webhook endpoint is the API. */
export const TEST_STRIPE_KEY = 'sk_test_paygraph';

export { paymentIntentsFor } from '../../packages/testing/stripe-lookups.js';

/** A TCP pass-through to `targetUrl` that refuses connections while `down`; `onData` sees every byte sent through it. */
export async function startSwitch(targetUrl: string, onData?: (chunk: Buffer) => void) {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  const state = { down: false };
  const server = net.createServer((socket) => {
    if (state.down) return void socket.destroy();
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(socket).add(upstream);
    if (onData) socket.on('data', onData);
    socket.pipe(upstream).pipe(socket);
    const drop = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  const listening = await listen({ server });
  return {
    url: listening.url.replace(/\/$/, ''),
    set down(value: boolean) {
      state.down = value;
      if (value) for (const socket of sockets) socket.destroy();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await listening.close();
    },
  };
}
