/** Retry rules, after Stripe's webhooks and the Standard Webhooks spec. */
export type Outcome = 'delivered' | 'retry' | 'failed' | 'dead' | 'waiting';

const RETRYABLE_STATUSES = new Set([408, 409, 425, 429]);
const MAX_DELAY_MS = 6 * 3_600_000;

export interface RetryPolicy {
  /** The first retry's delay (1 s by default); each later one doubles, up to six hours: 25 attempts span about three days. */
  baseDelayMs: number;
  random?: () => number;
}

/**
 * How long a delivery parked by a `waiting` answer stays put unless it is woken (or its endpoint's
 * Retry-After says otherwise): what it waits for wakes it, so this only rechecks deadlines.
 */
export const WAITING_RECHECK_MS = 3_600_000;

export function classify(
  result: { status?: number; response?: string | null },
  attempt: number,
  maxAttempts: number,
): Outcome {
  const { status } = result;
  if (status !== undefined && status >= 200 && status < 300) return 'delivered';
  if (isWaiting(result)) return 'waiting';
  const retryable = status === undefined || status >= 500 || RETRYABLE_STATUSES.has(status);
  if (!retryable) return 'failed';
  return attempt >= maxAttempts ? 'dead' : 'retry';
}

/**
 * 409 with a JSON body whose `code` starts with `waiting_for_`: the receiver waits for something
 * outside Paygraph that a later write wakes the delivery for (docs/callbacks.md, "Waiting"). Not a failure.
 */
function isWaiting(result: { status?: number; response?: string | null }): boolean {
  if (result.status !== 409 || !result.response?.includes('waiting_for_')) return false;
  try {
    const code: unknown = (JSON.parse(result.response) as { code?: unknown } | null)?.code;
    return typeof code === 'string' && code.startsWith('waiting_for_');
  } catch {
    return false;
  }
}

/** The wait after an attempt before jitter: doubling from the base, capped. */
const backoffMs = (policy: RetryPolicy, attempt: number) =>
  Math.min(policy.baseDelayMs * 2 ** (attempt - 1), MAX_DELAY_MS);

/** Exponential backoff with ±20% jitter, so a receiver that comes back is not hit by every retry at once. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  const exponential = backoffMs(policy, attempt);
  const jittered = exponential * (0.8 + 0.4 * (policy.random ?? Math.random)());
  return Math.round(retryAfterMs === undefined ? jittered : Math.min(Math.max(retryAfterMs, jittered), MAX_DELAY_MS));
}

/** How long `attempts` attempts take to run out at the backoff's midpoint, with no `Retry-After`: a delivery's retry span. */
export function retrySpanMs(policy: RetryPolicy, attempts: number): number {
  let span = 0;
  for (let attempt = 1; attempt < attempts; attempt++) span += backoffMs(policy, attempt);
  return span;
}

/** `Retry-After` is either seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
