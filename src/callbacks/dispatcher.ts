import type { Pool } from 'pg';
import { listenToChanges } from '../live/change-feed.js';
import type { Logger } from '../../packages/base/logger.js';
import { BacklogPump } from './backlog-pump.js';
import type { AttemptClaimed, claimedPayloadRenderer, payloadRenderer } from './deliver.js';
import { DispatchSlots } from './dispatch-slots.js';
import { claimNewDelivery, deliveryClaimer } from './store/claims.js';

export interface DispatcherOptions {
  pool: Pool;
  databaseUrl: string;
  attempt: AttemptClaimed;
  /** Starts a first attempt's payload while its claim is on the way, when it needs nothing else. */
  render: ReturnType<typeof payloadRenderer>;
  /** Starts the payload of a delivery the pump claimed, while it waits for a free slot. */
  renderClaimed: ReturnType<typeof claimedPayloadRenderer>;
  leaseMs: number;
  /** First attempts in flight at once in this process. */
  concurrency: number;
  /** How often the pump looks for due deliveries when nothing told it of any (timing.ts). */
  pumpIntervalMs: number;
  /** The longest a failing pump waits to try again (timing.ts). */
  pumpRetryMaxMs: number;
  logger: Logger;
}

/**
 * Sends first attempts of unordered deliveries, which have no graphile-worker job: the outbox writes
 * only the row, and its insert trigger's NOTIFY (migration `delivery_dispatch`) tells every worker.
 * The first to claim it sends it. What no notification announced (committed while no worker
 * listened, the LISTEN connection down, a worker killed mid-attempt and its lease run out, a backlog
 * larger than this process takes at once) is found by the backlog pump, which claims the oldest due
 * first attempts in batches: at start, whenever slots free up while a backlog remains, and every
 * `pumpIntervalMs` (backlog-pump.ts). A retry goes through graphile-worker as before (store/attempts.ts).
 * The attempts from claim to record run in dispatch-slots.ts.
 */
export async function startDispatcher(
  options: DispatcherOptions,
): Promise<{ stop(): Promise<void>; listening(): boolean }> {
  const { pool, logger } = options;
  let stopped = false;
  const slots = new DispatchSlots({ ...options, changed: () => fill() });
  const pump = new BacklogPump({
    ...options,
    retryFirstMs: options.pumpIntervalMs,
    retryMaxMs: options.pumpRetryMaxMs,
    retry: () => fill(),
  });

  function fill(): void {
    if (stopped) return;
    slots.startReady();
    if (pump.due(slots)) void pump.run(slots).then(() => (stopped ? void slots.releaseWaiting(pool) : fill()));
  }

  const heard = newDeliveryClaimer(options, slots, pump, fill);
  const listener = await listenToChanges(
    options.databaseUrl,
    (payload) => {
      const change = parseNewDelivery(payload);
      if (change && !stopped) heard(change);
    },
    logger,
    'callback dispatcher',
  );
  const timer = setInterval(() => {
    pump.rewind();
    fill();
  }, options.pumpIntervalMs);
  timer.unref();
  fill();

  return {
    listening: listener.listening,
    async stop() {
      stopped = true;
      clearInterval(timer);
      pump.stop();
      await listener.stop();
      await slots.releaseWaiting(pool);
      await slots.settled();
    },
  };
}

/** What the dispatcher does with a delivery it hears of: claims it at once, or leaves it to the pump. */
function newDeliveryClaimer(
  options: DispatcherOptions,
  slots: DispatchSlots,
  pump: BacklogPump,
  fill: () => void,
): (heard: NewDelivery) => void {
  const { pool, leaseMs, logger } = options;
  const claimHeard = deliveryClaimer(pool, leaseMs, 'new');
  return ({ id, callback, nodeId }) => {
    // Too busy to take it now, or older ones are already waiting: the pump takes it in its turn, oldest
    // first (at once if the waiting room has space). Claimed here, a new delivery would jump that
    // queue, and under a steady stream the pump would never get to the older ones: they waited seconds.
    if (pump.hasBacklog || slots.load() >= slots.capacity) {
      pump.defer();
      return fill();
    }
    // Idle, this worker renders the payload while it claims: the wait for a single delivery is one
    // round trip shorter. Busy, it does not guess: a delivery another worker claims costs it nothing.
    // The claim goes out first, at once (the pool sends it on the next tick); the render starts a
    // microtask later, so its GraphQL work does not hold the claim back.
    const idle = slots.load() === 0;
    const startRender = idle ? options.render(callback, nodeId) : null;
    const claim = idle ? claimNewDelivery(pool, leaseMs, id) : claimHeard(id);
    const rendered = startRender && Promise.resolve().then(startRender);
    rendered?.catch(() => undefined); // a guess that loses the claim is dropped, its failure with it
    slots.claim(
      claim.then(
        (row) =>
          row && {
            delivery: row,
            ...(rendered && row.callback === callback && row.node_id === nodeId ? { rendered } : {}),
          },
      ),
      (err) => {
        pump.markBacklog();
        logger.warn({ err }, 'claiming a new delivery failed; the pump takes it');
      },
    );
  };
}

interface NewDelivery {
  id: string;
  callback: string;
  nodeId: string;
}

// Only a new delivery's notification says `created`; the live feed's other changes are not ours.
function parseNewDelivery(payload: string | undefined): NewDelivery | null {
  if (!payload?.includes('"created"')) return null;
  try {
    const change = JSON.parse(payload) as {
      type?: string;
      id?: unknown;
      created?: boolean;
      callback?: unknown;
      node?: unknown;
    };
    if (change.type !== 'CallbackDelivery' || change.created !== true) return null;
    const { id, callback, node } = change;
    return typeof id === 'string' && typeof callback === 'string' && typeof node === 'string'
      ? { id, callback, nodeId: node }
      : null;
  } catch {
    return null;
  }
}
