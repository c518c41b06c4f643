import { runPaygraph } from '../src/run-paygraph.js';
import { claimLocalStack, localStackEnv, startLocalStack } from './local-stack/index.js';

/**
 * `npm start`: the API with, around it, what the whole payment workflow needs on one machine (a local
 * Stripe when no key is set, the services, their tokens, the worker where WORKER_PROCESS says), each
 * in a process this one owns. Development only: production runs src/main.ts, which never loads this.
 */
runPaygraph('all', { claim: claimLocalStack, env: localStackEnv, start: startLocalStack });
