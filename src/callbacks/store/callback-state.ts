import type { Pool } from 'pg';
import type { Queryable } from '../../db/queryable.js';
import { createBatcher } from '../batcher.js';

// What every worker shares about one callback's endpoint (table callback_state): since when it has
// failed without a delivery, and until when it asked us to wait (Retry-After).

// A batch's callbacks that delivered stop failing; those that only failed start, unless they already
// were. Updates that change nothing take no lock, so the common case (delivering) costs an index probe.
const TRACK_FAILING = `
  with cleared as (
    update callback_state set failing_since = null where callback = any($1::text[]) and failing_since is not null
  )
  insert into callback_state (callback, failing_since)
  select name, now() from unnest($2::text[]) as name
  on conflict (callback) do update set failing_since = now() where callback_state.failing_since is null`;

// How long a worker trusts what it last wrote: a delivering callback stays delivering (and a failing
// one failing) without a statement per batch, and a change another worker or an operator made is
// still corrected within this, far inside the shortest disableAfterFailingFor (minutes).
const KNOWN_STATE_MS = 1_000;

/**
 * Records, per callback, whether its endpoint delivers: one statement for every attempt finished in
 * the same turn of the event loop, and only when that changes what this worker last wrote (or that
 * is older than KNOWN_STATE_MS). A callback with any delivery in the batch counts as delivering.
 */
export function failingTracker(
  pool: Pool,
  knownStateMs = KNOWN_STATE_MS,
): (callback: string, delivered: boolean) => Promise<void> {
  const known = new Map<string, { failing: boolean; until: number }>();
  const track = createBatcher(async (items: { callback: string; delivered: boolean }[]) => {
    const delivering = new Set(items.filter((item) => item.delivered).map((item) => item.callback));
    const failing = new Set(items.map((item) => item.callback).filter((callback) => !delivering.has(callback)));
    await pool.query(TRACK_FAILING, [[...delivering], [...failing]]);
    const until = Date.now() + knownStateMs;
    for (const callback of delivering) known.set(callback, { failing: false, until });
    for (const callback of failing) known.set(callback, { failing: true, until });
    return items.map(() => undefined);
  });
  return async (callback, delivered) => {
    const state = known.get(callback);
    if (state && state.failing === !delivered && state.until > Date.now()) return;
    await track({ callback, delivered });
  };
}

/** An operator switched the callback on again: its failing time starts over. */
export async function forgetFailing(db: Queryable, name: string): Promise<void> {
  await db.query('update callback_state set failing_since = null where callback = $1', [name]);
}

/**
 * The endpoint answered Retry-After: no delivery of the callback starts before `until`, and a rate
 * limit's next start moves there too, so the deliveries held meanwhile do not all start at once.
 */
export async function pauseCallback(pool: Pool, name: string, until: Date): Promise<void> {
  await pool.query(
    `insert into callback_state (callback, paused_until, next_start_at) values ($1, $2, $2)
     on conflict (callback) do update set paused_until = greatest(callback_state.paused_until, excluded.paused_until),
                                          next_start_at = greatest(callback_state.next_start_at, excluded.paused_until)`,
    [name, until],
  );
}

export interface CallbackCondition {
  /** Why Paygraph switched it off by itself ("gone", "failing"); null when on, or switched by an operator. */
  disabledReason: string | null;
  failingSince: Date | null;
  pausedUntil: Date | null;
}

/** Per callback: why it is off, since when it fails, until when it is paused; for the console and the CLI. */
export async function callbackConditions(db: Queryable): Promise<Map<string, CallbackCondition>> {
  const { rows } = await db.query<{
    name: string;
    reason: string | null;
    failing_since: Date | null;
    paused_until: Date | null;
  }>(
    `select coalesce(s.name, st.callback) as name, case when not s.enabled then s.reason end as reason, st.failing_since,
            case when st.paused_until > now() then st.paused_until end as paused_until
       from callback_setting s full join callback_state st on st.callback = s.name`,
  );
  return new Map(
    rows.map((row) => [
      row.name,
      { disabledReason: row.reason, failingSince: row.failing_since, pausedUntil: row.paused_until },
    ]),
  );
}
