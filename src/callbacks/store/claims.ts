import type { Pool } from 'pg';
import { queryRetryingDeadlocks } from '../../db/retry-on-deadlock.js';
import { createBatcher } from '../batcher.js';
import { queueJobFor } from './delivery-job.js';

/** A delivery as an attempt sees it, once claimed. */
export interface DeliveryRow {
  id: string;
  seq: string;
  callback: string;
  trigger: string;
  node_id: string;
  changed_fields: string[];
  previous_values: Record<string, unknown> | null;
  status: 'PENDING' | 'DELIVERED' | 'FAILED' | 'DEAD';
  attempts: number;
  max_attempts: number;
  ordered: boolean;
  created_at: Date;
  enabled_override: boolean | null;
  /** A Retry-After of the callback's endpoint still running (flow control). */
  paused_until: Date | null;
  /** The start time `ratePerSecond` gave this delivery, if it waits for one. */
  flow_start_at: Date | null;
}

// What every claim returns: the delivery, its callback's runtime switch and its flow control.
const CLAIMED = `d.id, d.seq::text, d.callback, d.trigger, d.node_id, d.changed_fields, d.previous_values, d.status,
  d.attempts, d.max_attempts, d.ordered, d.created_at,
  (select s.enabled from callback_setting s where s.name = d.callback) as enabled_override,
  (select st.paused_until from callback_state st where st.callback = d.callback and st.paused_until > now()) as paused_until,
  d.flow_start_at`;
// The lease names its holder (the pool's application_name, worker-presence.ts): when that worker's
// session ends, the others take the delivery over at once (dead-workers.ts), not when the lease ends.
const LEASE = `leased_until = now() + make_interval(secs => $2::float8 / 1000), leased_by = current_setting('application_name')`;
// A claim commits without waiting for its WAL to reach the disk (about a millisecond here, on the
// path of every delivery). Others see the lease at once, so two workers still never hold one
// delivery; only a crash of PostgreSQL itself can lose a lease taken in its last moments, and the
// delivery is then sent again: at least once, with the same webhook-id, as after any lost lease.
// The setting lasts until the end of the statement's transaction: a claim runs alone (pool.query),
// never inside a transaction that writes anything that must last.
const LEASE_COMMIT = `(select set_config('synchronous_commit', 'off', true)) as lease_commit`;
const FREE = `(d.leased_until is null or d.leased_until < now())`;
// Statements that name their deliveries compare the status as text: the planner must find the rows by
// id, never through the (status, attempts, seq) index, which would read every pending delivery (its
// estimate for 'PENDING' is a guess) and make each claim cost as much as the backlog is long.
export const PENDING_BY_ID = `d.status::text = 'PENDING'`;

// A job's claim: any pending delivery.
const CLAIM = `update callback_delivery d set ${LEASE} from ${LEASE_COMMIT}
   where d.id = any($1::uuid[]) and ${PENDING_BY_ID} and ${FREE} returning ${CLAIMED}`;

// The dispatcher's: only first attempts of deliveries without a named queue (ordered ones go through their job).
const CLAIM_NEW = `update callback_delivery d set ${LEASE} from ${LEASE_COMMIT}
   where d.id = any($1::uuid[]) and ${PENDING_BY_ID} and d.attempts + 0 = 0 and not d.ordered and ${FREE} returning ${CLAIMED}`;

// The backlog pump's: the oldest due first attempts no one holds. SKIP LOCKED lets several workers
// pump at once without waiting on each other; the (status, attempts, seq) index keeps each batch as
// cheap at 100,000 pending deliveries as at 10, and skips retries waiting for their time.
const CLAIM_DUE = `update callback_delivery d set ${LEASE} from ${LEASE_COMMIT}
   where d.id in (
     select c.id from callback_delivery c
      where c.status = 'PENDING' and c.attempts = 0 and not c.ordered
        and (c.leased_until is null or c.leased_until < now()) and coalesce(c.next_attempt_at, c.created_at) <= now()
        and c.seq > $3
      order by c.seq limit $1 for update skip locked)
  returning ${CLAIMED}`;

/**
 * Claims pending deliveries for one attempt, many per query when many are asked for at once. A
 * delivery another run holds (a job duplicated by a re-queue, say) or that is finished is not returned.
 * `new`: the dispatcher's claim, of first attempts of unordered deliveries only.
 */
export function deliveryClaimer(
  pool: Pool,
  leaseMs: number,
  which: 'any' | 'new' = 'any',
): (id: string) => Promise<DeliveryRow | undefined> {
  const statement = which === 'any' ? CLAIM : CLAIM_NEW;
  return createBatcher(async (ids: string[]) => {
    const { rows } = await pool.query<DeliveryRow>(statement, [ids, leaseMs]);
    // One claim per row: if a batch asked for the same delivery twice, only the first asker gets it.
    const claimed = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => {
      const row = claimed.get(id);
      claimed.delete(id);
      return row;
    });
  });
}

/**
 * The dispatcher's claim of one announced delivery, sent at once rather than batched with others
 * in the next turn of the event loop: an idle worker has nothing to batch it with, and the claim is
 * on the way to a first attempt's receiver.
 */
export async function claimNewDelivery(pool: Pool, leaseMs: number, id: string): Promise<DeliveryRow | undefined> {
  return (await pool.query<DeliveryRow>(CLAIM_NEW, [[id], leaseMs])).rows[0];
}

/**
 * The backlog pump: claims up to `limit` due first attempts no one holds, oldest first, after
 * `afterSeq`: while a backlog drains, the pump goes on from where it stopped instead of walking again
 * over the index entries of the deliveries it already sent (dead until a vacuum removes them).
 */
export async function claimDueDeliveries(
  pool: Pool,
  leaseMs: number,
  limit: number,
  afterSeq = '0',
): Promise<DeliveryRow[]> {
  return (await pool.query<DeliveryRow>(CLAIM_DUE, [limit, leaseMs, afterSeq])).rows;
}

/** Gives back deliveries claimed but not attempted (a worker stopping): others may take them at once. */
export async function releaseClaims(pool: Pool, ids: readonly string[]): Promise<void> {
  if (ids.length > 0)
    await pool.query('update callback_delivery set leased_until = null where id = any($1::uuid[]) and attempts = 0', [
      ids,
    ]);
}

/**
 * When a claim fails because another run holds the delivery, this run's job comes back within a
 * second (or when the lease ends, if sooner), for as long as the delivery is pending: if that run
 * died, the delivery is not left without a job, and if it just finished (its own job could not be
 * queued while this one held the key), the delivery goes on at once rather than a lease later.
 * Once the lease is gone, the delivery's own time stands: an attempt that recorded "go again now"
 * (woken while it ran, the card its charge waited for saved meanwhile) is not put off by a second.
 */
export async function retryAfterLease(pool: Pool, id: string): Promise<void> {
  await queryRetryingDeadlocks(
    pool,
    // Waits for a record of the holder's attempt in progress and reads the row it leaves, so the job
    // is not put back a second after that record queued it for now. The row is locked before the job
    // is touched (a CTE of its own): a select's function runs below its FOR UPDATE, so add_job used to
    // take the job row first, and the record, which takes them the other way round, deadlocked with it.
    `with d as materialized (
       select id, callback, node_id, ordered, leased_until, next_attempt_at from callback_delivery
        where id = $1::uuid and status = 'PENDING' for update
     )
     select ${queueJobFor(
       'd',
       `case when d.leased_until > now() then least(d.leased_until, now() + interval '1 second')
                                     else coalesce(d.next_attempt_at, now()) end`,
     )}
       from d`,
    [id],
  );
}

/** For `ordered` callbacks: the earliest undelivered event of the same node, if any comes before this one. */
export async function pendingPredecessor(
  pool: Pool,
  delivery: DeliveryRow,
): Promise<{ next_attempt_at: Date | null } | undefined> {
  const { rows } = await pool.query<{ next_attempt_at: Date | null }>(
    `select next_attempt_at from callback_delivery
      where callback = $1 and node_id = $2 and seq < $3 and status::text = 'PENDING' order by seq limit 1`,
    [delivery.callback, delivery.node_id, delivery.seq],
  );
  return rows[0];
}

/** Puts a claimed delivery back, untried, to run at `runAt` (the pump, too, leaves it until then). */
export async function scheduleDelivery(pool: Pool, delivery: DeliveryRow, runAt: Date): Promise<void> {
  await pool.query(
    `with released as (update callback_delivery set leased_until = null, next_attempt_at = $2::timestamptz where id = $1::uuid
                       returning id, callback, node_id, ordered)
     select ${queueJobFor('released', '$2::timestamptz')} from released`,
    [delivery.id, runAt],
  );
}

/**
 * Puts back, untried, a delivery of a callback that is switched off, to look again after `recheckMs`:
 * unless it was switched on since the claim read it (an operator's enable racing this attempt), then
 * at once, so the put-back never pushes the enable's own job a minute later.
 */
export async function holdWhileDisabled(
  pool: Pool,
  delivery: DeliveryRow,
  enabledByDefault: boolean,
  recheckMs: number,
): Promise<void> {
  const switchedOn = `coalesce((select s.enabled from callback_setting s where s.name = d.callback), $2)`;
  await pool.query(
    `with released as (
       update callback_delivery d set leased_until = null,
              next_attempt_at = case when ${switchedOn} then now()
                                     else now() + make_interval(secs => $3::float8 / 1000) end
        where id = $1::uuid
       returning id, callback, node_id, ordered, next_attempt_at)
     select ${queueJobFor('released', 'released.next_attempt_at')} from released`,
    [delivery.id, enabledByDefault, recheckMs],
  );
  // The statement above read the switch as of its start: an enable that committed while it ran had
  // its job (queued for now) pushed back by this one's. Read again, in a statement of its own.
  await pool.query(
    `with again as (
       update callback_delivery d set next_attempt_at = now()
        where id = $1::uuid and ${PENDING_BY_ID} and d.next_attempt_at > now() and ${switchedOn}
       returning id, callback, node_id, ordered, next_attempt_at)
     select ${queueJobFor('again')} from again`,
    [delivery.id, enabledByDefault],
  );
}

/** Once an ordered delivery is through, its node's next event need not wait for its scheduled time. */
export async function wakeSuccessor(pool: Pool, delivery: DeliveryRow): Promise<void> {
  await pool.query(
    `select ${queueJobFor('next')}
       from (select id, callback, node_id, ordered from callback_delivery
              where callback = $1 and node_id = $2 and seq > $3 and status::text = 'PENDING' order by seq limit 1) next`,
    [delivery.callback, delivery.node_id, delivery.seq],
  );
}
