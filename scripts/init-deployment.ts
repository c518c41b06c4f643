import { initDeployment } from '../src/init-deployment.js';
import { createLogger } from '../packages/base/logger.js';

/** `npm run deploy:init`, compose's `init` service: see src/init-deployment.ts. */
await initDeployment(process.env, createLogger());
// The wasm schema engine leaves its 10 s lock-timeout timer running (its glue never clears timers);
// compose starts the other services only when this step exits.
process.exit(0);
