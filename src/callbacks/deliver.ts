import type { GraphQLSchema } from 'graphql';
import type { Pool } from 'pg';
import type { Logger } from '../../packages/base/logger.js';
import type { Context } from '../schema/context.js';
import { attemptRecorder, type AttemptRecord } from './store/attempts.js';
import {
  deliveryClaimer,
  holdWhileDisabled,
  pendingPredecessor,
  retryAfterLease,
  scheduleDelivery,
  wakeSuccessor,
  type DeliveryRow,
} from './store/claims.js';
import type { NodeRow } from './events.js';
import type { CallbackDefinition } from './load.js';
import type { CallbackControls } from './controls.js';
import { attemptDuration, deadDeliveries, deliveryOutcomes } from './metrics.js';
import { renderPayload } from './payload.js';
import {
  classify,
  parseRetryAfter,
  retryDelayMs,
  retrySpanMs,
  WAITING_RECHECK_MS,
  type RetryPolicy,
} from './retry-policy.js';
import { sendSigned, type SendResult } from './send.js';

export interface DeliveryDeps {
  pool: Pool;
  schema: GraphQLSchema;
  /** Payloads are read with system rights: a callback sees what its definition asks for, whoever caused it. */
  systemContext: Context;
  /** The same, its lookups unbatched: an idle worker's one render need not wait a turn for others. */
  loneSystemContext: Context;
  callbacks: ReadonlyMap<string, CallbackDefinition>;
  /** The callback's own secrets, for a callback whose entry in callbacks.yml names none. */
  storedSecrets: (callback: string) => Promise<string[]>;
  retryPolicy: RetryPolicy;
  /** How long one attempt may hold its delivery (timing.ts). */
  leaseMs: number;
  /** Flow control before an attempt; pauses, the failing clock and alerts after it. */
  controls: CallbackControls;
  logger: Logger;
}

const DISABLED_RECHECK_MS = 60_000;
const PREDECESSOR_RECHECK_MS = 1_000;
// A delivery whose callback this worker does not know is held at least this long: a rolling deploy that
// adds or renames a callback takes minutes, and a worker of the new release must get to send it.
const UNKNOWN_CALLBACK_MIN_HOLD_MS = 24 * 3_600_000;
const UNKNOWN_RECHECK_MIN_MS = 5_000;
const UNKNOWN_RECHECK_MAX_MS = 10 * 60_000;

/**
 * One attempt at a delivery already claimed: render the payload as the node is now, sign, POST,
 * record. `rendered`: its payload data, already being rendered (see payloadRenderer). `sent`: called
 * once nothing is being sent any more (answered, failed, or not sent at all), before the record.
 */
export type AttemptClaimed = (
  delivery: DeliveryRow,
  rendered?: Promise<Record<string, unknown>>,
  sent?: () => void,
) => Promise<void>;

export function attemptClaimed(deps: DeliveryDeps): AttemptClaimed {
  const store = { record: attemptRecorder(deps.pool) };
  return (delivery, rendered, sent) => deliverCallback(delivery, deps, store, rendered, sent);
}

/**
 * The payload data of a `.created` callback's first attempt, which needs nothing from the delivery's
 * row but its callback and node (no snapshot, no changed fields): an idle worker renders it while
 * its claim is on the way. A function that starts the render, or null for any other callback.
 */
export function payloadRenderer(
  deps: DeliveryDeps,
): (callbackName: string, nodeId: string) => (() => Promise<Record<string, unknown>>) | null {
  return (callbackName, nodeId) => {
    const callback = deps.callbacks.get(callbackName);
    if (!callback?.trigger.endsWith('.created')) return null;
    return () => render(deps, callback, nodeId, null, [], deps.loneSystemContext);
  };
}

/**
 * The payload data of a delivery just claimed, started while it waits for a slot; null when this
 * attempt would not send it (unknown or disabled callback, paused, ordered: deliverCallback decides).
 */
export function claimedPayloadRenderer(
  deps: DeliveryDeps,
): (delivery: DeliveryRow) => Promise<Record<string, unknown>> | null {
  return (delivery) => {
    const callback = deps.callbacks.get(delivery.callback);
    if (!callback || callback.ordered || !(delivery.enabled_override ?? callback.enabled) || delivery.paused_until)
      return null;
    return render(
      deps,
      callback,
      delivery.node_id,
      delivery.previous_values as NodeRow | null,
      delivery.changed_fields,
    );
  };
}

const render = (
  deps: DeliveryDeps,
  callback: CallbackDefinition,
  nodeId: string,
  snapshot: NodeRow | null,
  changedFields: string[],
  context = deps.systemContext,
) =>
  renderPayload(callback.payload, {
    schema: deps.schema,
    // Its own context object: Pothos caches per context, and renders run side by side.
    context: { ...context },
    nodeId,
    snapshot,
    changedFields,
  });

/** The graphile-worker task (retries, wake-ups, redeliveries, ordered callbacks): claim the delivery, then attempt it. */
export function deliveryTask(deps: DeliveryDeps, attempt: AttemptClaimed): (deliveryId: string) => Promise<void> {
  const claim = deliveryClaimer(deps.pool, deps.leaseMs);
  return async (deliveryId) => {
    const delivery = await claim(deliveryId);
    if (!delivery) return retryAfterLease(deps.pool, deliveryId);
    await attempt(delivery);
  };
}

type Store = { record: (delivery: DeliveryRow, attempt: AttemptRecord) => Promise<void> };

async function deliverCallback(
  delivery: DeliveryRow,
  deps: DeliveryDeps,
  store: Store,
  rendered?: Promise<Record<string, unknown>>,
  sent: () => void = () => undefined,
): Promise<void> {
  const callback = deps.callbacks.get(delivery.callback);
  const attempt = delivery.attempts + 1;
  const startedAt = new Date();

  if (!callback) return holdOrFailUnknown(deps, store, delivery, attempt, startedAt);
  const admitted = await admit(deps, callback, delivery);
  if (!admitted) return;

  let payload: unknown = null;
  let result: SendResult;
  let outcome: ReturnType<typeof classify>;
  try {
    try {
      const data = await (rendered ??
        render(deps, callback, delivery.node_id, delivery.previous_values as NodeRow | null, delivery.changed_fields));
      payload = {
        data,
        event: {
          id: delivery.id,
          callback: delivery.callback,
          trigger: delivery.trigger,
          nodeId: delivery.node_id,
          createdAt: delivery.created_at.toISOString(),
          attempt,
        },
      };
      result = await sendSigned({
        url: callback.url,
        headers: callback.headers,
        body: JSON.stringify(payload),
        messageId: delivery.id,
        secrets: callback.secrets ?? (await deps.storedSecrets(callback.name)),
        timeoutMs: callback.timeoutMs,
      });
    } catch (error) {
      // The payload query could not run (the database is briefly away, say): an attempt that failed, retried.
      result = failure((error as Error).message);
    }
    sent();
    attemptDuration.observe({ callback: callback.name }, result.durationMs / 1000);
    outcome = classify(result, attempt, delivery.max_attempts);
    await finish(deps, store, delivery, { attempt, startedAt, outcome, result, payload });
  } finally {
    await admitted.done();
  }
  await deps.controls.afterAttempt(callback, delivery, {
    // An endpoint that answers "waiting" works: the failing clock does not run for it.
    delivered: outcome === 'delivered' || outcome === 'waiting',
    dead: outcome === 'dead',
    result,
  });
  if (outcome === 'delivered' && callback.ordered) await wakeSuccessor(deps.pool, delivery);
}

/** Whether the delivery may be attempted now; if not, it is put back until it may (null). */
async function admit(deps: DeliveryDeps, callback: CallbackDefinition, delivery: DeliveryRow) {
  if (!(delivery.enabled_override ?? callback.enabled)) {
    await holdWhileDisabled(deps.pool, delivery, callback.enabled, DISABLED_RECHECK_MS);
    return null;
  }
  if (callback.ordered) {
    const predecessor = await pendingPredecessor(deps.pool, delivery);
    if (predecessor) {
      const waitUntil = Math.max(predecessor.next_attempt_at?.getTime() ?? 0, Date.now() + PREDECESSOR_RECHECK_MS);
      await scheduleDelivery(deps.pool, delivery, new Date(waitUntil));
      return null;
    }
  }
  return deps.controls.admit(callback, delivery);
}

/**
 * A callback this worker does not know is usually one a newer release added or renamed while this
 * worker still runs: its delivery is put back untried, its attempts unspent, for a worker that knows
 * it. Only once it has waited its whole retry span (at least a day) is it taken for removed on purpose
 * and failed, so deliveries of a deleted callback do not stay pending for ever.
 */
async function holdOrFailUnknown(
  deps: DeliveryDeps,
  store: Store,
  delivery: DeliveryRow,
  attempt: number,
  startedAt: Date,
): Promise<void> {
  const waitedMs = Date.now() - delivery.created_at.getTime();
  if (waitedMs >= unknownCallbackHoldMs(deps.retryPolicy, delivery)) {
    const error = `callback "${delivery.callback}" is no longer defined in the callbacks file`;
    await finish(deps, store, delivery, {
      attempt,
      startedAt,
      outcome: 'failed',
      result: failure(error),
      payload: null,
    });
    return;
  }
  deps.logger.warn(
    { delivery: delivery.id, callback: delivery.callback },
    "callback not defined in this worker's callbacks file: delivery held for a worker that defines it",
  );
  await scheduleDelivery(deps.pool, delivery, new Date(Date.now() + unknownRecheckMs(waitedMs)));
}

const unknownCallbackHoldMs = (policy: RetryPolicy, delivery: DeliveryRow) =>
  Math.max(UNKNOWN_CALLBACK_MIN_HOLD_MS, retrySpanMs(policy, delivery.max_attempts - delivery.attempts));

// Soon while a deploy may still be rolling, then seldom: a deleted callback's backlog costs little.
const unknownRecheckMs = (waitedMs: number) =>
  Math.min(Math.max(waitedMs / 10, UNKNOWN_RECHECK_MIN_MS), UNKNOWN_RECHECK_MAX_MS);

async function finish(
  deps: DeliveryDeps,
  store: Store,
  delivery: DeliveryRow,
  done: {
    attempt: number;
    startedAt: Date;
    outcome: ReturnType<typeof classify>;
    result: SendResult;
    payload: unknown;
  },
): Promise<void> {
  const { attempt, outcome, result } = done;
  const retryAfterMs = parseRetryAfter(result.retryAfter);
  const nextAttemptAt =
    outcome === 'retry'
      ? new Date(Date.now() + retryDelayMs(deps.retryPolicy, attempt, retryAfterMs))
      : outcome === 'waiting'
        ? new Date(Date.now() + (retryAfterMs ?? WAITING_RECHECK_MS))
        : null;
  await store.record(delivery, {
    attempt,
    startedAt: done.startedAt,
    durationMs: result.durationMs,
    httpStatus: result.status ?? null,
    response: result.response,
    error: result.error,
    outcome,
    nextAttemptAt,
    payload: done.payload,
    requestHeaders: result.requestHeaders ?? null,
  });
  if (outcome === 'dead') deadDeliveries.inc({ callback: delivery.callback });
  deliveryOutcomes.inc({ callback: delivery.callback, outcome });
  const log =
    outcome === 'delivered' || outcome === 'waiting'
      ? deps.logger.debug.bind(deps.logger)
      : deps.logger.warn.bind(deps.logger);
  log(
    {
      delivery: delivery.id,
      callback: delivery.callback,
      attempt,
      status: result.status,
      error: result.error,
      outcome,
    },
    'callback attempt',
  );
}

const failure = (error: string): SendResult => ({ retryAfter: null, response: null, error, durationMs: 0 });
