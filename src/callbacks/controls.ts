import type { Pool } from 'pg';
import type { Logger } from '../../packages/base/logger.js';
import { isBuiltinTrigger } from './events.js';
import type { CallbackDefinition } from './load.js';
import { callbacksDisabled } from './metrics.js';
import { parseRetryAfter } from './retry-policy.js';
import type { SendResult } from './send.js';
import {
  announceDeadDeliveries,
  disableFailingCallbacks,
  disableGoneCallback,
  type AlertCallback,
} from './store/alerts.js';
import { failingTracker, pauseCallback } from './store/callback-state.js';
import type { DeliveryRow } from './store/claims.js';
import { finishFlow, putBack, takeSlot, takeStartTime, waitForSlot } from './store/flow-control.js';

/**
 * The operating controls around one attempt: flow control before it (Retry-After pauses,
 * `ratePerSecond`, `maxInFlight`), and after it the failing clock, pauses, 410 and dead-delivery
 * alerts. deliver.ts asks `admit` before sending and tells `afterAttempt` what happened.
 */
export interface CallbackControls {
  /** Null: the delivery was put back untried (not an attempt) and this run ends. Else call `done` after recording. */
  admit(callback: CallbackDefinition, delivery: DeliveryRow): Promise<{ done(): Promise<void> } | null>;
  afterAttempt(
    callback: CallbackDefinition,
    delivery: DeliveryRow,
    outcome: { delivered: boolean; dead: boolean; result: SendResult },
  ): Promise<void>;
  /** The worker's periodic pass: callbacks failing too long are switched off; deaths a crash left unannounced are announced. */
  sweep(): Promise<void>;
}

// Starting this much early is starting on time: a job does not run to the millisecond.
const ON_TIME_MS = 10;
// Standard Webhooks: an endpoint answering 410 Gone asks not to be called again.
const GONE = 410;
// Answers whose Retry-After speaks for the whole endpoint, not only the one request.
const SLOW_DOWN = new Set([429, 503]);

export function createCallbackControls(options: {
  pool: Pool;
  callbacks: readonly CallbackDefinition[];
  leaseMs: number;
  logger: Logger;
}): CallbackControls {
  const { pool, leaseMs, logger } = options;
  const { alerts, deadAlerts, disabledAlerts } = alertSubscribers(options.callbacks);
  const trackFailing = failingTracker(pool);
  // A callback callbacks.yml keeps off is never switched off again (nor announced) for an old failure.
  const failingLimits = options.callbacks
    .filter((callback) => callback.disableAfterFailingForMs !== null && callback.enabled)
    .map((callback) => ({ name: callback.name, afterMs: callback.disableAfterFailingForMs! }));

  return {
    admit: (callback, delivery) => admitFlow(pool, leaseMs, callback, delivery),

    async afterAttempt(callback, delivery, { delivered, dead, result }) {
      if (callback.disableAfterFailingForMs !== null) await trackFailing(callback.name, delivered);
      const retryAfterMs =
        result.status !== undefined && SLOW_DOWN.has(result.status) ? parseRetryAfter(result.retryAfter) : undefined;
      if (retryAfterMs !== undefined && retryAfterMs > 0) {
        await pauseCallback(pool, callback.name, new Date(Date.now() + retryAfterMs));
        logger.info({ callback: callback.name, retryAfterMs }, 'callback paused: its endpoint answered Retry-After');
      }
      if (dead) await announceDeadDeliveries(pool, [delivery.id], deadAlerts);
      if (result.status === GONE) await switchOffGone(pool, logger, callback, delivery, result, disabledAlerts);
    },

    async sweep() {
      // An alert callback switched off is not announced to the others: alerts about alerts could loop.
      const plain = failingLimits.filter((limit) => !alerts.some((alert) => alert.name === limit.name));
      const quiet = failingLimits.filter((limit) => alerts.some((alert) => alert.name === limit.name));
      for (const [limits, announceTo] of [
        [plain, disabledAlerts],
        [quiet, []],
      ] as const) {
        for (const name of await disableFailingCallbacks(pool, limits, announceTo)) {
          callbacksDisabled.inc({ callback: name, reason: 'failing' });
          logger.warn(
            { callback: name },
            'callback disabled: it failed for longer than its disableAfterFailingFor; its deliveries are held until it is enabled',
          );
        }
      }
      const announced = await announceDeadDeliveries(pool, null, deadAlerts);
      if (announced > 0) logger.warn({ announced }, 'announced dead deliveries a stopped worker had left unannounced');
    },
  };
}

/** The callbacks subscribed to each built-in trigger that announces a callback's trouble. */
function alertSubscribers(callbacks: readonly CallbackDefinition[]) {
  const subscribed = (trigger: string): AlertCallback[] =>
    callbacks
      .filter((callback) => callback.trigger === trigger)
      .map((callback) => ({ name: callback.name, maxAttempts: callback.maxAttempts, enabled: callback.enabled }));
  const alerts = callbacks.filter((callback) => isBuiltinTrigger(callback.trigger));
  return {
    alerts,
    deadAlerts: subscribed('CallbackDelivery.dead'),
    disabledAlerts: subscribed('CallbackDelivery.disabled'),
  };
}

/** 410 Gone: the callback is switched off (once, however many workers saw it) and, unless it is an alert itself, announced. */
async function switchOffGone(
  pool: Pool,
  logger: Logger,
  callback: CallbackDefinition,
  delivery: DeliveryRow,
  result: SendResult,
  disabledAlerts: readonly AlertCallback[],
): Promise<void> {
  const lastError = `HTTP 410${result.response ? `: ${result.response.slice(0, 200)}` : ''}`;
  const announceTo = isBuiltinTrigger(callback.trigger) ? [] : disabledAlerts;
  if (!(await disableGoneCallback(pool, callback.name, lastError, announceTo))) return;
  callbacksDisabled.inc({ callback: callback.name, reason: 'gone' });
  logger.warn(
    { callback: callback.name, delivery: delivery.id },
    'callback disabled: its endpoint answered 410 Gone; enable it again once fixed',
  );
}

// A paused endpoint, a start time `ratePerSecond` has not reached, or no free slot of `maxInFlight`: put back until then.
async function admitFlow(
  pool: Pool,
  leaseMs: number,
  callback: CallbackDefinition,
  delivery: DeliveryRow,
): ReturnType<CallbackControls['admit']> {
  const now = Date.now();
  if (delivery.paused_until && delivery.paused_until.getTime() > now) {
    await putBack(pool, delivery.id, delivery.paused_until, null);
    return null;
  }
  if (callback.ratePerSecond !== null) {
    const given = delivery.flow_start_at;
    if (!given || given.getTime() > now + ON_TIME_MS) {
      const startAt = given ?? (await takeStartTime(pool, callback.name, callback.ratePerSecond));
      if (startAt.getTime() > Date.now() + ON_TIME_MS) {
        await putBack(pool, delivery.id, startAt, startAt);
        return null;
      }
    }
  }
  let slot: number | null = null;
  if (callback.maxInFlight !== null) {
    slot = await takeSlot(pool, callback.name, callback.maxInFlight, delivery.id, leaseMs);
    if (slot === null) {
      await waitForSlot(pool, callback.name, delivery.id, leaseMs);
      return null;
    }
  }
  const limited = callback.maxInFlight !== null || callback.ratePerSecond !== null;
  return { done: async () => (limited ? finishFlow(pool, callback.name, delivery.id, slot) : undefined) };
}

/** Runs `controls.sweep` every `intervalMs` in a worker, one pass at a time. */
export function startControlsSweep(controls: CallbackControls, intervalMs: number, logger: Logger): { stop(): void } {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    running ??= controls
      .sweep()
      .catch((err) => logger.warn({ err }, 'callback controls sweep failed'))
      .finally(() => (running = null));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
