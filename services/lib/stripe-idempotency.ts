// Stripe remembers an idempotency key for 24 hours; an hour less, to be safe at the edge.
const IDEMPOTENCY_MEMORY_MS = 23 * 3_600_000;

/**
 * Whether Stripe may have forgotten the idempotency keys of work that began at `since` (before any
 * attempt of any delivery: a manual trigger's event is newer than the work it repeats): until then a
 * repeated request with the same key gets the same object back, after it only a lookup by metadata
 * finds what an earlier attempt made.
 */
export const keysMayBeForgotten = (since: Date, now = Date.now()) => now - since.getTime() >= IDEMPOTENCY_MEMORY_MS;
