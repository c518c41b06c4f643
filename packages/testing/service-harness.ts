import type { RequestHandler } from 'micro';
import { pino } from 'pino';
import { startLocalStripe } from '../../services/lib/local-stripe.js';
import { paygraphClient } from '../../services/lib/paygraph-client.js';
import type { ServiceDeps } from '../../services/lib/service-env.js';
import { createStripe } from '../../services/lib/stripe-client.js';
import { startFakePaygraph } from './fake-paygraph.js';
import { listen } from './listen.js';
import { TEST_SIGNING_SECRET } from './signing-secret.js';
import { startStripeGateway } from './stripe-gateway.js';
import { TEST_SEARCH_LAG_MS } from './stripe-lookups.js';

const STRIPE_KEY = 'sk_test_services';
/** The services' STRIPE_RETURN_URL in tests. */
export const TEST_RETURN_URL = 'https://paygraph.test/console/';

/**
 * One service under test on loopback, between a real Stripe stand-in (reached through a gateway a
 * test can take down) and a fake Paygraph API that records write-backs. `stripe` talks to the
 * stand-in directly, for assertions and fixtures.
 */
export async function startServiceHarness(
  makeHandler: (deps: ServiceDeps) => RequestHandler,
  accessToken: string,
  { searchLagMs = TEST_SEARCH_LAG_MS }: { searchLagMs?: number } = {},
) {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step();
  };
  try {
    const standIn = await startLocalStripe({ searchLagMs });
    stops.push(standIn.stop);
    const gateway = await startStripeGateway(standIn.url);
    stops.push(gateway.close);
    const api = await startFakePaygraph(accessToken);
    stops.push(api.close);
    const deps = {
      stripe: createStripe(STRIPE_KEY, gateway.url),
      paygraph: paygraphClient(api.url, accessToken),
      signingSecret: TEST_SIGNING_SECRET,
      returnUrl: TEST_RETURN_URL,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    };
    const service = await listen(makeHandler(deps));
    stops.push(service.close);
    return { url: service.url, deps, gateway, api, stripe: createStripe(STRIPE_KEY, standIn.url), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export type ServiceHarness = Awaited<ReturnType<typeof startServiceHarness>>;
