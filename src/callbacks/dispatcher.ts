import type { Pool } from 'pg';
import { listenToChanges } from '../live/change-feed.js';
import type { Logger } from '../../packages/base/logger.js';
import type { AttemptClaimed, claimedPayloadRenderer, payloadRenderer } from './deliver.js';
import { claimDueDeliveries, claimNewDelivery, deliveryClaimer, releaseClaims, type DeliveryRow } from './store/claims.js';

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
  logger: Logger;
}

/**
 * Sends first attempts of unordered deliveries, which have no graphile-worker job: the outbox writes
 * only the row, and its insert trigger's NOTIFY (migration `delivery_dispatch`) tells every worker.
 * The first to claim it sends it. What no notification announced (committed while no worker
 * listened, the LISTEN connection down, a worker killed mid-attempt and its lease run out, a backlog
 * larger than this process takes at once) is found by the backlog pump, which claims the oldest due
 * first attempts in batches: at start, whenever slots free up while a backlog remains, and every
 * `pumpIntervalMs`. A retry goes through graphile-worker as before (store/attempts.ts).
 */
export async function startDispatcher(options: DispatcherOptions): Promise<{ stop(): Promise<void>; listening(): boolean }> {
  const { pool, attempt, concurrency, logger } = options;
  const claimHeard = deliveryClaimer(pool, options.leaseMs, 'new');
  // Claimed and waiting for a free slot: the next batch is claimed while the last one is being sent.
  const ready: { delivery: DeliveryRow; rendered?: Promise<Record<string, unknown>> }[] = [];
  // Attempts from claim to record; `sending` of them hold a slot: once its POST is answered an attempt
  // gives its slot to the next while its outcome is recorded (batched), so the endpoint never waits
  // for the database. The lease still covers the attempt until it is recorded.
  const tasks = new Set<Promise<void>>();
  let sending = 0;
  let claiming = 0;
  let backlog = true;
  // Announcements left to the pump: one that arrives while the pump's query runs may be missing from
  // it. Those heard since the last pump began make it run while the waiting room has space.
  let deferred = 0;
  let deferredAtPump = 0;
  // Where the pump goes on from while a backlog drains; back to the start whenever it runs dry and at
  // every tick of the timer, so a delivery committed out of seq order waits a second at most.
  let cursor = '0';
  let pumping = false;
  let stopped = false;
  const capacity = concurrency * 2;
  const load = () => sending + ready.length + claiming;

  const start = ({ delivery, rendered }: (typeof ready)[number]) => {
    sending++;
    let holdsSlot = true;
    const sent = () => {
      if (!holdsSlot) return;
      holdsSlot = false;
      sending--;
      fill();
    };
    const task = attempt(delivery, rendered, sent)
      .catch((err) => logger.error({ err, delivery: delivery.id }, 'callback attempt failed unexpectedly; the pump retries it once its lease ends'))
      .finally(() => {
        tasks.delete(task);
        sent();
        fill();
      });
    tasks.add(task);
  };

  // Attempts waiting for their record count too: a slow database slows the sending, never piles it up.
  const room = () => tasks.size < capacity;

  function fill(): void {
    if (stopped) return;
    while (sending < concurrency && ready.length > 0 && room()) start(ready.shift()!);
    if (backlog && !pumping && room() && (load() <= concurrency || (deferred > deferredAtPump && load() < capacity))) void pump();
  }

  async function pump(): Promise<void> {
    pumping = true;
    const deferredBefore = (deferredAtPump = deferred);
    try {
      const wanted = capacity - load();
      const claimed = await claimDueDeliveries(pool, options.leaseMs, wanted, cursor);
      // RETURNING keeps no order: the newest claimed is the largest seq.
      for (const row of claimed) if (BigInt(row.seq) > BigInt(cursor)) cursor = row.seq;
      // Fewer than asked, and nothing left to the pump meanwhile: nothing else is due now. New ones are
      // announced; the timer covers the rest.
      if (claimed.length < wanted && deferred === deferredBefore) {
        backlog = false;
        cursor = '0';
      }
      // Sent in the order they were committed: oldest first.
      claimed.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
      for (const delivery of claimed) {
        // Rendered now, in one turn: their node lookups share one query, and a slot that frees up sends at once.
        const rendered = options.renderClaimed(delivery);
        rendered?.catch(() => undefined); // its attempt awaits it and records the failure
        ready.push({ delivery, ...(rendered ? { rendered } : {}) });
      }
    } catch (err) {
      logger.warn({ err }, 'callback backlog pump failed; trying again shortly');
    } finally {
      pumping = false;
    }
    if (stopped) return void releaseClaims(pool, ready.splice(0).map((entry) => entry.delivery.id)).catch(() => undefined);
    fill();
  }

  const heard = ({ id, callback, nodeId }: NewDelivery) => {
    // Too busy to take it now, or older ones are already waiting: the pump takes it in its turn, oldest
    // first (at once if the waiting room has space). Claimed here, a new delivery would jump that
    // queue, and under a steady stream the pump would never get to the older ones: they waited seconds.
    if (backlog || load() >= capacity) {
      backlog = true;
      deferred++;
      return fill();
    }
    // Idle, this worker renders the payload while it claims: the wait for a single delivery is one
    // round trip shorter. Busy, it does not guess: a delivery another worker claims costs it nothing.
    // The claim goes out first, at once (the pool sends it on the next tick); the render starts a
    // microtask later, so its GraphQL work does not hold the claim back.
    const idle = load() === 0;
    const startRender = idle ? options.render(callback, nodeId) : null;
    claiming++;
    const claim = idle ? claimNewDelivery(pool, options.leaseMs, id) : claimHeard(id);
    const rendered = startRender && Promise.resolve().then(startRender);
    rendered?.catch(() => undefined); // a guess that loses the claim is dropped, its failure with it
    claim
      .then((row) => row && ready.push({ delivery: row, ...(rendered && row.callback === callback && row.node_id === nodeId ? { rendered } : {}) }), (err) => {
        backlog = true;
        logger.warn({ err }, 'claiming a new delivery failed; the pump takes it');
      })
      .finally(() => {
        claiming--;
        fill();
      });
  };

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
    backlog = true;
    cursor = '0';
    fill();
  }, options.pumpIntervalMs);
  timer.unref();
  fill();

  return {
    listening: listener.listening,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await listener.stop();
      await releaseClaims(pool, ready.splice(0).map((entry) => entry.delivery.id)).catch(() => undefined);
      await Promise.all(tasks);
    },
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
    const change = JSON.parse(payload) as { type?: string; id?: unknown; created?: boolean; callback?: unknown; node?: unknown };
    if (change.type !== 'CallbackDelivery' || change.created !== true) return null;
    const { id, callback, node } = change;
    return typeof id === 'string' && typeof callback === 'string' && typeof node === 'string' ? { id, callback, nodeId: node } : null;
  } catch {
    return null;
  }
}
