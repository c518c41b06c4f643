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
}

// graphile-worker's own cap on a local queue's TTL.
const MAX_LOCAL_QUEUE_TTL_MS = 300_000;
// A first attempt whose notification was lost waits at most this: one indexed query a second per worker.
const DEFAULT_PUMP_INTERVAL_MS = 1000;

// An attempt also claims, renders its payload and records its outcome around the POST: on a busy
// machine that takes a while, and a lease that ran out mid-attempt lets another worker send it again.
const MIN_LEASE_MARGIN_MS = 2_000;

export function deliveryTiming(options: { longestTimeoutMs: number; staleLockGraceMs: number; pumpIntervalMs?: number }): DeliveryTiming {
  const { longestTimeoutMs, staleLockGraceMs, pumpIntervalMs = DEFAULT_PUMP_INTERVAL_MS } = options;
  const leaseMs = longestTimeoutMs + Math.max(staleLockGraceMs / 2, MIN_LEASE_MARGIN_MS);
  const staleLockMs = leaseMs + staleLockGraceMs / 2;
  return {
    leaseMs,
    staleLockMs,
    localQueueTtlMs: Math.min(MAX_LOCAL_QUEUE_TTL_MS, Math.floor(staleLockMs / 2)),
    sweepIntervalMs: Math.max(1000, Math.min(staleLockMs, 30_000)),
    pumpIntervalMs,
  };
}

/** The time a service has for each step of answering one callback. */
export interface ServiceBudget {
  /** One Stripe request; the SDK sends it at most `stripeRetries + 1` times. */
  stripeTimeoutMs: number;
  stripeRetries: number;
  /** The longest pause the Stripe SDK makes before a retry (its maxNetworkRetryDelay). */
  stripeRetryDelayMs: number;
  /** The write-back to Paygraph's API. */
  writeBackTimeoutMs: number;
  /** Left for verifying, answering and the network between the worker and the service. */
  marginMs: number;
}

export const STRIPE_RETRIES = 1;
// stripe-node waits its initial network retry delay (0.5 s) before a first retry, and reads no Retry-After.
export const STRIPE_MAX_RETRY_DELAY_MS = 500;

/**
 * Splits a callback's timeout between the service's steps so that the worst case (a Stripe request
 * timing out, its retry after the longest pause, then a write-back timing out) still ends before the
 * worker gives up on the callback: otherwise a charge could land after the attempt counted as failed.
 * A tenth of the timeout (at least 200 ms) is kept as margin; of the rest, Stripe's tries take two
 * thirds and the write-back one third.
 */
export function serviceBudget(callbackTimeoutMs: number): ServiceBudget {
  const marginMs = Math.max(200, Math.floor(callbackTimeoutMs / 10));
  const available = callbackTimeoutMs - marginMs - STRIPE_MAX_RETRY_DELAY_MS;
  if (available <= 0) throw new Error(`a callback timeout of ${callbackTimeoutMs} ms leaves a service no time to call Stripe`);
  const stripeTimeoutMs = Math.floor((available * 2) / 3 / (STRIPE_RETRIES + 1));
  const writeBackTimeoutMs = Math.floor(available / 3);
  return { stripeTimeoutMs, stripeRetries: STRIPE_RETRIES, stripeRetryDelayMs: STRIPE_MAX_RETRY_DELAY_MS, writeBackTimeoutMs, marginMs };
}

/** The worst case a budget allows, from the callback arriving to the service answering. */
export const worstCaseMs = (budget: ServiceBudget) =>
  budget.stripeTimeoutMs * (budget.stripeRetries + 1) + budget.stripeRetryDelayMs + budget.writeBackTimeoutMs + budget.marginMs;

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
