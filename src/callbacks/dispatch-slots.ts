import type { Pool } from 'pg';
import type { Logger } from '../../packages/base/logger.js';
import type { AttemptClaimed } from './deliver.js';
import { releaseClaims, type DeliveryRow } from './store/claims.js';

/** A claimed delivery, with its payload when its rendering started before it got a slot. */
export interface ClaimedDelivery {
  delivery: DeliveryRow;
  rendered?: Promise<Record<string, unknown>>;
}

/**
 * The dispatcher's deliveries from claim to record: claims on their way, claimed deliveries waiting
 * for a slot, and attempts running. Whenever a slot frees up or a claim settles it calls `changed`, so
 * the dispatcher can start the next one or pump more.
 */
export class DispatchSlots {
  readonly capacity: number;
  // Claimed and waiting for a free slot: the next batch is claimed while the last one is being sent.
  private readonly ready: ClaimedDelivery[] = [];
  // Attempts from claim to record; `sending` of them hold a slot: once its POST is answered an attempt
  // gives its slot to the next while its outcome is recorded (batched), so the endpoint never waits
  // for the database. The lease still covers the attempt until it is recorded.
  private readonly tasks = new Set<Promise<void>>();
  private sending = 0;
  private claiming = 0;

  constructor(
    private readonly options: { concurrency: number; attempt: AttemptClaimed; logger: Logger; changed: () => void },
  ) {
    this.capacity = options.concurrency * 2;
  }

  /** Deliveries this process has taken on: sending, waiting for a slot, or being claimed. */
  load(): number {
    return this.sending + this.ready.length + this.claiming;
  }

  // Attempts waiting for their record count too: a slow database slows the sending, never piles it up.
  room(): boolean {
    return this.tasks.size < this.capacity;
  }

  add(claimed: ClaimedDelivery): void {
    this.ready.push(claimed);
  }

  /** Counts a claim as load until it settles; what it claimed then waits for a slot. */
  claim(claim: Promise<ClaimedDelivery | undefined>, failed: (err: unknown) => void): void {
    this.claiming++;
    claim
      .then((claimed) => claimed && this.ready.push(claimed), failed)
      .finally(() => {
        this.claiming--;
        this.options.changed();
      });
  }

  /** Starts waiting deliveries, oldest first, while a slot is free. */
  startReady(): void {
    while (this.sending < this.options.concurrency && this.ready.length > 0 && this.room())
      this.start(this.ready.shift()!);
  }

  /** Gives back the leases of the deliveries still waiting for a slot, so another worker may send them. */
  releaseWaiting(pool: Pool): Promise<void> {
    return releaseClaims(
      pool,
      this.ready.splice(0).map((entry) => entry.delivery.id),
    ).catch(() => undefined);
  }

  /** Resolves once every attempt started has been recorded. */
  async settled(): Promise<void> {
    await Promise.all(this.tasks);
  }

  private start({ delivery, rendered }: ClaimedDelivery): void {
    const { attempt, logger, changed } = this.options;
    this.sending++;
    let holdsSlot = true;
    const sent = () => {
      if (!holdsSlot) return;
      holdsSlot = false;
      this.sending--;
      changed();
    };
    const task = attempt(delivery, rendered, sent)
      .catch((err) =>
        logger.error(
          { err, delivery: delivery.id },
          'callback attempt failed unexpectedly; the pump retries it once its lease ends',
        ),
      )
      .finally(() => {
        this.tasks.delete(task);
        sent();
        changed();
      });
    this.tasks.add(task);
  }
}
