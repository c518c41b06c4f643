import { makeWorkerUtils } from 'graphile-worker';
import type { Pool } from 'pg';
import type { Logger } from '../../packages/base/logger.js';
import { rollUpDeliveryCounts } from './store/delivery-counts.js';
import { deleteExpiredBatch } from './store/expired.js';
import { collectUnusedQueues } from './store/job-housekeeping.js';

export interface RetentionPolicy {
  /** Delivered deliveries (and their attempts) are removed this many days after they completed. */
  deliveredDays: number;
  /** Failed and dead ones are kept longer, until redelivered or this many days after they ended. */
  deadDays: number;
  /** Rows per DELETE: short statements hold short locks beside the live outbox. */
  batchSize: number;
}

/** Removes every expired delivery, batch by batch; returns how many went. */
export async function pruneDeliveries(pool: Pool, policy: RetentionPolicy): Promise<number> {
  let removed = 0;
  for (;;) {
    const batch = await deleteExpiredBatch(pool, policy);
    removed += batch;
    if (batch < policy.batchSize) return removed;
  }
}

/**
 * The worker's retention sweep: expired deliveries, the delivery counts' appended changes rolled up,
 * then graphile-worker's queue rows that no job uses any more (each node of an `ordered` callback has
 * its own named queue), through its public cleanup.
 */
export function startRetentionSweep(options: {
  pool: Pool;
  policy: RetentionPolicy;
  intervalMs: number;
  logger: Logger;
}): { stop(): void } {
  const { pool, policy, logger } = options;
  let running: Promise<void> | null = null;
  const sweep = async () => {
    const removed = await pruneDeliveries(pool, policy);
    await rollUpDeliveryCounts(pool);
    const utils = await makeWorkerUtils({ pgPool: pool });
    try {
      await collectUnusedQueues(utils);
    } finally {
      await utils.release();
    }
    if (removed > 0) logger.info({ removed }, 'removed callback deliveries past their retention');
  };
  const timer = setInterval(() => {
    running ??= sweep()
      .catch((err) => logger.warn({ err }, 'callback retention sweep failed'))
      .finally(() => (running = null));
  }, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
