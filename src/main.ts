import { runPaygraph, type Role } from './run-paygraph.js';

/**
 * A production process: `api` and `worker` run one role each, for deployments that split them (any
 * number of workers share the queue); `all` (the default) runs both in one process. `npm start`'s
 * whole local stack is dev/start.ts, which this file never loads.
 */
const role = (process.argv[2] ?? 'all') as Role;
if (!['all', 'api', 'worker'].includes(role)) {
  console.error(`Unknown role "${role}": use all, api or worker`);
  process.exit(2);
}
runPaygraph(role);
