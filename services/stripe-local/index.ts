import type { AddressInfo } from 'node:net';
import { createStripeLocalServer, type Logger } from './http/server.js';
import { newWebhookSecret } from './resources/webhook-endpoints.js';

/**
 * What @paygraph/stripe-local offers to code that imports it: start an emulator in this process,
 * its test-only control path, the signature it puts on webhooks, and Stripe's test cards it knows.
 */
export { CONTROL_PATH } from './http/controls.js';
export { publishableKeyOf } from './http/accounts.js';
export { signature as webhookSignature } from './http/webhook-delivery.js';
export type { Logger } from './http/server.js';
export { testCards, type TestCard } from './resources/test-cards.js';
export { authenticationPage } from './resources/next-action.js';

export interface StripeLocalOptions {
  /** 0 (the default here) picks a free port. */
  port?: number;
  host?: string;
  /**
   * A webhook endpoint of the account whose secret key is `accountKey` (the stack's receiver), made at
   * start as if that account had created it: it receives that account's events only, signed with
   * `secret` (generated when left out; read it from the result), of the types in `events` (all when
   * left out). Other accounts' events go to the endpoints they create themselves.
   */
  webhook?: { accountKey: string; url: string; secret?: string; events?: string[] };
  /** The test-only control path; on unless turned off (run.ts turns it off in production). */
  controls?: boolean;
  /**
   * How long a new or changed object stays out of `/v1/<type>/search` results, as Stripe's search lags behind
   * writes (docs/search#data-freshness); 0, the default, finds it at once. The test suites use a few hundred ms.
   */
  searchLagMs?: number;
  logger?: Logger;
  /**
   * A directory to keep every account's state in (a file, stripe-local.state.jsonl): reloaded at start,
   * each change on disk before its answer is sent. In memory only when left out.
   */
  stateDir?: string;
}

export interface StripeLocal {
  /** Give it to the SDK as STRIPE_API_URL, e.g. http://127.0.0.1:12111 */
  url: string;
  port: number;
  webhookSecret: string | undefined;
  stop(): Promise<void>;
}

const silent: Logger = { info() {}, warn() {}, error() {} };

/** A stateful local Stripe on loopback (by default), in this process. State is in memory unless `stateDir` is given. */
export async function startStripeLocal(options: StripeLocalOptions = {}): Promise<StripeLocal> {
  const { webhook } = options;
  const webhookSecret = webhook ? (webhook.secret ?? newWebhookSecret()) : undefined;
  const stripeLocal = createStripeLocalServer({
    logger: options.logger ?? silent,
    controls: options.controls ?? true,
    ...(options.stateDir !== undefined && { stateDir: options.stateDir }),
    ...(options.searchLagMs && { searchLagMs: options.searchLagMs }),
    ...(webhook && {
      webhook: {
        accountKey: webhook.accountKey,
        url: webhook.url,
        secret: webhookSecret!,
        enabledEvents: webhook.events ?? ['*'],
      },
    }),
  });
  const { server } = stripeLocal;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  stripeLocal.setBaseUrl(url);
  return {
    url,
    port,
    webhookSecret,
    async stop() {
      stripeLocal.stopDelivery();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      stripeLocal.closeState();
    },
  };
}
