import type { Pool } from 'pg';
import { queueJobFor } from './delivery-job.js';

/** How long a worker's session may be missing before its deliveries are taken over: a reconnect takes less. */
export const TAKEOVER_AFTER_MS = 3_000;

// A worker is present while a session named `<name> presence` is open (worker-presence.ts). Only rows whose
// state changes are written, so a sweep of live workers writes nothing.
const MARK_MISSING = `
  update callback_worker w set missing_since = case when w.missing_since is null then now() end
   where exists (select 1 from pg_stat_activity a where a.application_name = w.name || ' presence')
         = (w.missing_since is not null)`;

// A worker whose session stayed away: its row goes (one taker wins it), the deliveries it leased are freed at
// once instead of at the lease's end, each with its interrupted attempt recorded (it may or may not have
// reached the endpoint), its flow-control slots are freed, and each delivery gets a job to go on.
const TAKE_OVER = `
  with dead as (
    delete from callback_worker where missing_since < now() - make_interval(secs => $1::float8 / 1000) returning name
  ), interrupted as (
    update callback_delivery d set leased_until = null, leased_by = null, attempts = d.attempts + 1
      from dead
     where d.status = 'PENDING' and d.leased_by = dead.name and d.leased_until > now()
    returning d.id, d.callback, d.node_id, d.ordered, d.attempts
  ), logged as (
    insert into callback_attempt (delivery_id, attempt, started_at, duration_ms, outcome, error)
    select id, attempts, now(), 0, 'interrupted',
           'the worker sending it stopped (its database session ended) during the attempt; it may have reached the endpoint'
      from interrupted
  ), slots as (
    update callback_flow_slot f set delivery_id = null, held_until = null from interrupted i where f.delivery_id = i.id
  )
  select (select count(*) from dead)::int as workers, count(${queueJobFor('interrupted')})::int as deliveries from interrupted`;

/** Marks workers whose session is gone (or back), then takes over those gone longer than TAKEOVER_AFTER_MS. */
export async function takeOverDeadWorkers(pool: Pool): Promise<{ workers: number; deliveries: number }> {
  await pool.query(MARK_MISSING);
  const { rows } = await pool.query<{ workers: number; deliveries: number }>(TAKE_OVER, [TAKEOVER_AFTER_MS]);
  return rows[0] ?? { workers: 0, deliveries: 0 };
}
