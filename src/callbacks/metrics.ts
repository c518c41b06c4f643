import type { Pool } from 'pg';
import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../metrics.js';
import { withinMs } from '../probes.js';
import { pendingSummary } from './store/reports.js';

export const deliveryOutcomes = new Counter({
  name: 'paygraph_callback_attempts_total',
  help: 'Callback delivery attempts by callback and outcome (delivered, retry, failed, dead, waiting)',
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

/**
 * Queue depth and the age of the oldest pending delivery, read from the database at scrape time, with
 * paygraph_database_up saying whether that read answered within checkMs. A scrape while the database
 * is away or frozen still answers with the process's own metrics and counters (Prometheus' advice
 * for exporters: an `up` gauge rather than a 5xx when some metrics can still be served); the two
 * gauges are NaN then, unknown rather than a stale or zero depth.
 */
export function registerQueueGauges(pool: Pool, checkMs: number): void {
  // The newest pool wins when one process wires Paygraph twice (tests do).
  for (const name of [
    'paygraph_callback_queue_depth',
    'paygraph_callback_oldest_pending_seconds',
    'paygraph_database_up',
  ]) {
    metricsRegistry.removeSingleMetric(name);
  }
  // One read per scrape, shared by the three gauges (they are collected together).
  let reading: Promise<{ depth: number; oldestSeconds: number } | null> | null = null;
  const read = () =>
    (reading ??= withinMs(pendingSummary(pool), checkMs)
      .catch(() => null)
      .finally(() => (reading = null)));
  new Gauge({
    name: 'paygraph_database_up',
    help: 'Whether this scrape read the queue gauges from the database within PROBE_TIMEOUT_MS (1) or not (0, and they are NaN)',
    registers: [metricsRegistry],
    async collect() {
      this.set((await read()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'paygraph_callback_queue_depth',
    help: 'Deliveries waiting for their first or next attempt',
    registers: [metricsRegistry],
    async collect() {
      this.set((await read())?.depth ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'paygraph_callback_oldest_pending_seconds',
    help: 'Age of the oldest delivery still waiting',
    registers: [metricsRegistry],
    async collect() {
      this.set((await read())?.oldestSeconds ?? Number.NaN);
    },
  });
}
