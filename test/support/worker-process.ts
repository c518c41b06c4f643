import { TEST_SIGNING_SECRET } from '../../packages/testing/signing-secret.js';
import type { TestPaygraph } from './paygraph.js';
import { startPaygraphProcess } from './paygraph-process.js';

/** A worker in its own process (`npm run worker`) on a test Paygraph's database and callbacks.yml. */
export const startWorkerProcess = (app: TestPaygraph, env: Record<string, string>) =>
  startPaygraphProcess('worker', {
    DATABASE_URL: app.databaseUrl,
    CALLBACKS_FILE: app.callbacksFile,
    CALLBACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    ...env,
  });
