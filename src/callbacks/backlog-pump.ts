import type { Pool } from 'pg';
import type { Logger } from '../../packages/base/logger.js';
import type { claimedPayloadRenderer } from './deliver.js';
import type { DispatchSlots } from './dispatch-slots.js';
import { claimDueDeliveries } from './store/claims.js';

export interface BacklogPumpOptions {
  pool: Pool;
  leaseMs: number;
  concurrency: number;
  renderClaimed: ReturnType<typeof claimedPayloadRenderer>;
  /** The first wait after a failed pump; each failure after it doubles the wait, up to `retryMaxMs`. */
  retryFirstMs: number;
  retryMaxMs: number;
  logger: Logger;
  /** Called when a failed pump's wait is over. */
  retry: () => void;
}

/**
 * Claims the oldest due first attempts in batches, for deliveries no notification announced or that
 * were left to it. When the database fails it, it waits before it tries again, longer after each
 * failure, and logs the failing state once when it begins and once, with its duration, when it ends.
 */
export class BacklogPump {
  private backlog = true;
  // Announcements left to the pump: one that arrives while the pump's query runs may be missing from
  // it. Those heard since the last pump began make it run while the waiting room has space.
  private deferred = 0;
  private deferredAtPump = 0;
  // Where the pump goes on from while a backlog drains; back to the start whenever it runs dry and at
  // every tick of the timer, so a delivery committed out of seq order waits a second at most.
  private cursor = '0';
  private pumping = false;
  private failing: { since: number; failures: number } | null = null;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: BacklogPumpOptions) {}

  /** Older deliveries may be due that no claim of this worker's covers. */
  get hasBacklog(): boolean {
    return this.backlog;
  }

  /** Something may have been missed (a claim failed): the pump looks again. */
  markBacklog(): void {
    this.backlog = true;
  }

  /** An announced delivery is left to the pump, so it is sent in its turn, oldest first. */
  defer(): void {
    this.backlog = true;
    this.deferred++;
  }

  /** The timer's tick: look again from the oldest, for what no notification announced. */
  rewind(): void {
    this.backlog = true;
    this.cursor = '0';
  }

  /** Whether to pump now: a backlog, no pump running or waiting to retry, and room for what it would claim. */
  due(slots: DispatchSlots): boolean {
    if (!this.backlog || this.pumping || this.retryTimer !== undefined || !slots.room()) return false;
    const load = slots.load();
    return load <= this.options.concurrency || (this.deferred > this.deferredAtPump && load < slots.capacity);
  }

  /** Claims as many as the slots have room for, oldest first, and renders their payloads meanwhile. */
  async run(slots: DispatchSlots): Promise<void> {
    const { pool, leaseMs, renderClaimed } = this.options;
    this.pumping = true;
    const deferredBefore = (this.deferredAtPump = this.deferred);
    try {
      const wanted = slots.capacity - slots.load();
      const claimed = await claimDueDeliveries(pool, leaseMs, wanted, this.cursor);
      this.succeeded();
      // RETURNING keeps no order: the newest claimed is the largest seq.
      for (const row of claimed) if (BigInt(row.seq) > BigInt(this.cursor)) this.cursor = row.seq;
      // Fewer than asked, and nothing left to the pump meanwhile: nothing else is due now. New ones are
      // announced; the timer covers the rest.
      if (claimed.length < wanted && this.deferred === deferredBefore) {
        this.backlog = false;
        this.cursor = '0';
      }
      // Sent in the order they were committed: oldest first.
      claimed.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
      for (const delivery of claimed) {
        // Rendered now, in one turn: their node lookups share one query, and a slot that frees up sends at once.
        const rendered = renderClaimed(delivery);
        rendered?.catch(() => undefined); // its attempt awaits it and records the failure
        slots.add({ delivery, ...(rendered ? { rendered } : {}) });
      }
    } catch (err) {
      this.failed(err);
    } finally {
      this.pumping = false;
    }
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private failed(err: unknown): void {
    const { logger, retryFirstMs, retryMaxMs } = this.options;
    if (this.failing) this.failing.failures++;
    else {
      this.failing = { since: Date.now(), failures: 1 };
      logger.warn({ err }, 'callback backlog pump failing; trying again with backoff until it succeeds');
    }
    // A database that is down fails every query at once: retried at once, that is thousands a second.
    const waitMs = Math.min(retryMaxMs, retryFirstMs * 2 ** (this.failing.failures - 1));
    logger.debug(
      { err, failures: this.failing.failures, waitMs },
      'callback backlog pump failed; waiting before it tries again',
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.options.retry();
    }, waitMs);
    this.retryTimer.unref();
  }

  private succeeded(): void {
    if (!this.failing) return;
    const { since, failures } = this.failing;
    this.failing = null;
    this.options.logger.info({ failingMs: Date.now() - since, failures }, 'callback backlog pump works again');
  }
}
