import { createServer } from 'node:http';
import { serve } from 'micro';
import chargeCustomer from './charge-customer/index.js';
import createCustomer from './create-customer/index.js';

/** `npm run service:<name>`: one service alone, configured from its environment. */
const services = { 'create-customer': createCustomer, 'charge-customer': chargeCustomer };
const name = process.argv[2] as keyof typeof services;
if (!services[name]) {
  console.error(`Usage: tsx services/run.ts <${Object.keys(services).join('|')}>`);
  process.exit(2);
}
try {
  const { port, handler } = services[name]();
  const server = createServer(serve(handler)).listen(port, () => console.log(JSON.stringify({ service: name, port, msg: 'listening' })));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (error) {
  console.error(`${name} cannot start: ${(error as Error).message}`);
  process.exit(1);
}
