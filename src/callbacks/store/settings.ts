import type { Queryable } from '../../db/queryable.js';
import { queueJobFor } from './delivery-job.js';

/** Runtime switches (`setCallbackEnabled`) by callback name; a callback without one follows callbacks.yml. */
export async function enabledOverrides(db: Queryable): Promise<Map<string, boolean>> {
  const { rows } = await db.query<{ name: string; enabled: boolean }>('select name, enabled from callback_setting');
  return new Map(rows.map((row) => [row.name, row.enabled]));
}

/** Enabling a callback sends what waited while it was off, straight away. */
export async function setCallbackEnabled(db: Queryable, name: string, enabled: boolean): Promise<void> {
  await db.query(
    `with setting as (
       insert into callback_setting (name, enabled, reason, updated_at) values ($1, $2, null, now())
       on conflict (name) do update set enabled = excluded.enabled, reason = null, updated_at = now()
     )
     select ${queueJobFor('d')} from callback_delivery d where $2 and d.callback = $1 and d.status = 'PENDING'`,
    [name, enabled],
  );
}
