import type { Pool } from 'pg';
import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../metrics.js';
import { pendingSummary } from './store/reports.js';

export const deliveryOutcomes = new Counter({
  name: 'paygraph_callback_attempts_total',
  help: 'Callback delivery attempts by callback and outcome (delivered, retry, failed, dead)',
  labelNames: ['callback', 'outcome'],
  registers: [metricsRegistry],
});

export const deadDeliveries = new Counter({
  name: 'paygraph_callback_dead_total',
  help: 'Deliveries that used up their attempts (dead: kept, listed and redeliverable); alert on its rate',
  labelNames: ['callback'],
  registers: [metricsRegistry],
});

export const callbacksDisabled = new Counter({
  name: 'paygraph_callback_disabled_total',
  help: 'Callbacks switched off automatically (reason="gone": the endpoint answered 410; "failing": no delivery for disableAfterFailingFor)',
  labelNames: ['callback', 'reason'],
  registers: [metricsRegistry],
});

export const attemptDuration = new Histogram({
  name: 'paygraph_callback_attempt_duration_seconds',
  help: 'Time from sending a callback to its response',
  labelNames: ['callback'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 30],
  registers: [metricsRegistry],
});

/** Queue depth and the age of the oldest pending delivery, read from the database at scrape time. */
export function registerQueueGauges(pool: Pool): void {
  // The newest pool wins when one process wires Paygraph twice (tests do).
  for (const name of ['paygraph_callback_queue_depth', 'paygraph_callback_oldest_pending_seconds']) {
    metricsRegistry.removeSingleMetric(name);
  }
  new Gauge({
    name: 'paygraph_callback_queue_depth',
    help: 'Deliveries waiting for their first or next attempt',
    registers: [metricsRegistry],
    async collect() {
      this.set((await pendingSummary(pool)).depth);
    },
  });
  new Gauge({
    name: 'paygraph_callback_oldest_pending_seconds',
    help: 'Age of the oldest delivery still waiting',
    registers: [metricsRegistry],
    async collect() {
      this.set((await pendingSummary(pool)).oldestSeconds);
    },
  });
}
