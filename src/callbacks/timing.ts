/**
 * Every time limit of the delivery path, derived from the callbacks' timeouts in one place, so the
 * way they nest is visible here: an attempt (the callback's timeout) fits inside its lease, the lease
 * inside the stale-lock time after which a dead worker's jobs are taken over, a job waiting in a
 * worker's local queue goes back well before that; and a service answering a callback finishes its
 * Stripe call (with its one retry) and its write-back before the callback's timeout. The probes'
 * limits (probeTiming) are here too.
 */

export interface DeliveryTiming {
  /** How long one attempt holds its delivery: longer than any attempt, shorter than a dead worker's lock. */
  leaseMs: number;
  /** A job locked longer than this belongs to a worker that died (no attempt runs longer than its timeout). */
  staleLockMs: number;
  /** How long a job may wait, locked, in a worker's local queue before it goes back to the database. */
  localQueueTtlMs: number;
  /** How often a worker looks for dead workers' jobs and deliveries left without a job. */
  sweepIntervalMs: number;
  /** How often an idle worker's pump looks for first attempts no notification announced. */
  pumpIntervalMs: number;
  /** The longest a failing pump waits before it tries again: its waits double from pumpIntervalMs up to this. */
  pumpRetryMaxMs: number;
}

// graphile-worker's own cap on a local queue's TTL.
const MAX_LOCAL_QUEUE_TTL_MS = 300_000;
// A first attempt whose notification was lost waits at most this: one indexed query a second per worker.
const DEFAULT_PUMP_INTERVAL_MS = 1000;
// A pump that cannot reach the database waits at most this long to try again, once it answers.
const PUMP_RETRY_MAX_MS = 10_000;

// An attempt also claims, renders its payload and records its outcome around the POST: on a busy
// machine that takes a while, and a lease that ran out mid-attempt lets another worker send it again.
const MIN_LEASE_MARGIN_MS = 2_000;

export function deliveryTiming(options: {
  longestTimeoutMs: number;
  staleLockGraceMs: number;
  pumpIntervalMs?: number;
}): DeliveryTiming {
  const { longestTimeoutMs, staleLockGraceMs, pumpIntervalMs = DEFAULT_PUMP_INTERVAL_MS } = options;
  const leaseMs = longestTimeoutMs + Math.max(staleLockGraceMs / 2, MIN_LEASE_MARGIN_MS);
  const staleLockMs = leaseMs + staleLockGraceMs / 2;
  return {
    leaseMs,
    staleLockMs,
    localQueueTtlMs: Math.min(MAX_LOCAL_QUEUE_TTL_MS, Math.floor(staleLockMs / 2)),
    sweepIntervalMs: Math.max(1000, Math.min(staleLockMs, 30_000)),
    pumpIntervalMs,
    pumpRetryMaxMs: Math.max(pumpIntervalMs, PUMP_RETRY_MAX_MS),
  };
}

// A service's share of a callback's timeout is the services' own rule (they import only the base
// package); it is re-exported here so every limit of the delivery path is read in one place.
export {
  serviceBudget,
  worstCaseMs,
  STRIPE_RETRIES,
  STRIPE_MAX_RETRY_DELAY_MS,
  type ServiceBudget,
} from '../../packages/base/service-budget.js';

/** How long the probes (/healthz, /readyz, /metrics) may take, from PROBE_TIMEOUT_MS. */
export interface ProbeTiming {
  /** Every probe answers within this, whatever the database does. */
  answerMs: number;
  /** One check (the database's `select 1`, the queue gauges' read): given up on early enough to answer in time. */
  checkMs: number;
}

/**
 * A tenth of the limit (at least 50 ms) is kept for writing the answer, so a check that runs out of
 * time is reported as such (503, or NaN gauges) rather than racing the limit itself. An orchestrator's
 * probe timeout must be longer than answerMs (Kubernetes' timeoutSeconds defaults to 1 s).
 */
export function probeTiming(probeTimeoutMs: number): ProbeTiming {
  const marginMs = Math.max(50, Math.floor(probeTimeoutMs / 10));
  return { answerMs: probeTimeoutMs, checkMs: Math.max(1, probeTimeoutMs - marginMs) };
}
