import { createServer } from 'node:http';
import { serve } from 'micro';
import { chargeCustomerHandler } from './charge-customer/index.js';
import { createCustomerHandler } from './create-customer/index.js';
import { stopWithParent } from '../packages/base/parent-process.js';
import { SERVICES, type ServiceName } from '../packages/base/services.js';
import { depsFromEnv, loadServiceEnv } from './lib/service-env.js';

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
const handle = serve(handlers[service](deps));
const server = createServer((req, res) => {
  // Who answers here: a supervisor checks the instance it started, not merely an open port.
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ service, instance: config.instance ?? null, pid: process.pid }));
  }
  return void handle(req, res);
});
server.once('error', (error) => {
  console.error(`${service} cannot listen on ${config.host}:${config.port}: ${error.message}`);
  process.exit(1);
});
server.listen(config.port, config.host, () =>
  deps.logger.info(
    { host: config.host, port: config.port, stripe: config.stripeApiUrl ?? 'api.stripe.com' },
    'listening',
  ),
);
const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  // In-flight callbacks get a moment to finish; the callbacks engine retries whatever is cut off.
  setTimeout(() => process.exit(0), 10_000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// Started by `npm start` with an IPC channel: when that process dies, however it dies, so does this one.
const orphaned = () => {
  deps.logger.warn('the process that started this service is gone; stopping');
  stop();
};
stopWithParent(orphaned);
