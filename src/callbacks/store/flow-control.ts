import type { Pool } from 'pg';
import { queueJobFor } from './delivery-job.js';

// Flow control shared by every worker process: `maxInFlight` slots (table callback_flow_slot) with a
// wait list (callback_flow_waiter), and `ratePerSecond` start times handed out in turn
// (callback_state.next_start_at). A delivery that must wait is put back untried: not an attempt; its
// next_attempt_at keeps the dispatcher's backlog pump from claiming it again before its time.

/** Makes sure each limited callback has its slots; a lowered limit leaves the higher ones unused. */
export async function ensureFlowSlots(
  pool: Pool,
  limits: readonly { name: string; maxInFlight: number }[],
): Promise<void> {
  if (limits.length === 0) return;
  await pool.query(
    `insert into callback_flow_slot (callback, slot)
     select c.name, generate_series(0, c.max_in_flight - 1) from jsonb_to_recordset($1::jsonb) as c(name text, max_in_flight int)
     on conflict do nothing`,
    [JSON.stringify(limits.map((limit) => ({ name: limit.name, max_in_flight: limit.maxInFlight })))],
  );
}

/**
 * Takes a free slot of the callback for this delivery until `leaseMs` from now (a worker that dies
 * holding it loses it then); null when all are taken. SKIP LOCKED: two workers never take one slot.
 */
export async function takeSlot(
  pool: Pool,
  name: string,
  maxInFlight: number,
  deliveryId: string,
  leaseMs: number,
): Promise<number | null> {
  const { rows } = await pool.query<{ slot: number }>(
    `update callback_flow_slot s set delivery_id = $3::uuid, held_until = now() + make_interval(secs => $4::float8 / 1000)
      where (s.callback, s.slot) = (select callback, slot from callback_flow_slot
                                     where callback = $1 and slot < $2 and (held_until is null or held_until < now())
                                     order by slot limit 1 for update skip locked)
     returning s.slot`,
    [name, maxInFlight, deliveryId, leaseMs],
  );
  return rows[0]?.slot ?? null;
}

/**
 * The next start time `ratePerSecond` allows, taken for one delivery: now if the callback is ahead of
 * its rate, else one interval after the last one handed out. The row lock orders concurrent takers.
 */
export async function takeStartTime(pool: Pool, name: string, ratePerSecond: number): Promise<Date> {
  const { rows } = await pool.query<{ start_at: Date }>(
    `insert into callback_state (callback, next_start_at) values ($1, now() + make_interval(secs => 1 / $2::float8))
     on conflict (callback) do update
       set next_start_at = greatest(callback_state.next_start_at, now()) + make_interval(secs => 1 / $2::float8)
     returning next_start_at - make_interval(secs => 1 / $2::float8) as start_at`,
    [name, ratePerSecond],
  );
  return rows[0]!.start_at;
}

/** Puts a claimed delivery back untried until `runAt`, remembering the start time it was given (or none). */
export async function putBack(pool: Pool, deliveryId: string, runAt: Date, startAt: Date | null): Promise<void> {
  await pool.query(
    `with held as (
       update callback_delivery set leased_until = null, flow_start_at = $3, next_attempt_at = $2::timestamptz where id = $1::uuid and status = 'PENDING'
       returning id, callback, node_id, ordered
     )
     select ${queueJobFor('held', '$2::timestamptz')} from held`,
    [deliveryId, runAt, startAt],
  );
}

/**
 * No slot is free: the delivery joins the wait list (keeping its place if it was on it) and is put back
 * untried; a freed slot wakes the oldest waiter, and `fallbackMs` later it looks again by itself.
 */
export async function waitForSlot(pool: Pool, name: string, deliveryId: string, fallbackMs: number): Promise<void> {
  await pool.query(
    `with waiting as (
       insert into callback_flow_waiter (delivery_id, callback) values ($1::uuid, $2)
       on conflict (delivery_id) do update set woken_at = null
     ), held as (
       update callback_delivery set leased_until = null, flow_start_at = null, next_attempt_at = now() + make_interval(secs => $3::float8 / 1000)
        where id = $1::uuid and status = 'PENDING'
       returning id, callback, node_id, ordered
     )
     select ${queueJobFor('held', 'now() + make_interval(secs => $3::float8 / 1000)')} from held`,
    [deliveryId, name, fallbackMs],
  );
}

/**
 * After an attempt: its slot (if it held one) is free again, its start time is spent, it leaves the
 * wait list, and the oldest pending waiter not woken in the last seconds is woken to take the slot.
 */
export async function finishFlow(pool: Pool, name: string, deliveryId: string, slot: number | null): Promise<void> {
  await pool.query(
    `with freed as (
       update callback_flow_slot set delivery_id = null, held_until = null
        where $3::int is not null and callback = $2 and slot = $3 and delivery_id = $1::uuid
     ), spent as (
       update callback_delivery set flow_start_at = null where id = $1::uuid and flow_start_at is not null
     ), left_list as (
       delete from callback_flow_waiter where delivery_id = $1::uuid
     ), next as (
       update callback_flow_waiter w set woken_at = now()
        where $3::int is not null and w.delivery_id = (
          select o.delivery_id from callback_flow_waiter o join callback_delivery d on d.id = o.delivery_id and d.status = 'PENDING'
           where o.callback = $2 and o.delivery_id <> $1::uuid and (o.woken_at is null or o.woken_at < now() - interval '5 seconds')
           order by o.since limit 1 for update of o skip locked)
       returning w.delivery_id
     )
     select ${queueJobFor('d')} from next join callback_delivery d on d.id = next.delivery_id where d.status = 'PENDING'`,
    [deliveryId, name, slot],
  );
}
