import { Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry for the process; modules register their own metrics on it. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'paygraph_' });
