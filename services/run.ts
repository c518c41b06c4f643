import { createServer } from 'node:http';
import { serve } from 'micro';
import { chargeCustomerHandler } from './charge-customer/index.js';
import { createCustomerHandler } from './create-customer/index.js';
import { depsFromEnv, loadServiceEnv, SERVICES, type ServiceName } from './lib/service-env.js';

/** `npm run service:<name>`: one service alone on PORT, configured from its environment (see service-env.ts). */
const handlers = { 'create-customer': createCustomerHandler, 'charge-customer': chargeCustomerHandler };
const name = process.argv[2];
if (!name || !(name in SERVICES)) {
  console.error(`Usage: tsx services/run.ts <${Object.keys(SERVICES).join('|')}>`);
  process.exit(2);
}
const service = name as ServiceName;

let config: ReturnType<typeof loadServiceEnv>;
try {
  // Configuration is checked before listening, so a misconfigured service refuses to start.
  config = loadServiceEnv(service);
} catch (error) {
  console.error(`${service} cannot start:\n${(error as Error).message}`);
  process.exit(1);
}
const deps = depsFromEnv(config);
const server = createServer(serve(handlers[service](deps)));
server.once('error', (error) => {
  console.error(`${service} cannot listen on port ${config.port}: ${error.message}`);
  process.exit(1);
});
server.listen(config.port, () => deps.logger.info({ port: config.port, stripe: config.stripeApiUrl ?? 'api.stripe.com' }, 'listening'));
const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
