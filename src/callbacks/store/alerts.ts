import type { Pool } from 'pg';

/**
 * The callbacks subscribed to a built-in trigger, as the statements below take them: each alert is a
 * delivery of each of them, written by the statement that records the event, so none is lost to a
 * crash between the two. Deliveries of these callbacks never cause alerts themselves (no loops).
 */
export interface AlertCallback {
  name: string;
  maxAttempts: number;
  /** Its `enabled` in callbacks.yml; a runtime setting overrides it. */
  enabled: boolean;
}

// The alerts of the rows in `event` (id text, facts jsonb) for the callbacks in $alerts. No job: an alert
// is a first attempt of an unordered delivery, which the dispatcher hears of (the row's NOTIFY) or its
// pump finds; a job as well would only race it for the claim.
const insertAlerts = (trigger: string, alertsParam: string) => `
  alert as (
    insert into callback_delivery (callback, trigger, node_id, changed_fields, previous_values, max_attempts, ordered)
    select a.name, '${trigger}', event.id, '{}', event.facts, a.max_attempts, false
      from event cross join jsonb_to_recordset(${alertsParam}::jsonb) as a(name text, max_attempts int, enabled boolean)
     where coalesce((select s.enabled from callback_setting s where s.name = a.name), a.enabled)
    returning id
  )`;
const queuedAlerts = `(select count(*)::int from alert) as alerts`;

// Dead deliveries not yet announced (announced_at older than completed_at: dead again since a
// redelivery), of the last day; $1 null: all of them, the sweep after a crash.
const ANNOUNCE_DEAD = `
  with event as (
    update callback_delivery d set announced_at = now()
     where d.status = 'DEAD' and d.trigger not like 'CallbackDelivery.%'
       and ($1::uuid[] is null or d.id = any($1::uuid[]))
       and d.completed_at > now() - interval '1 day'
       and (d.announced_at is null or d.announced_at < d.completed_at)
    returning d.id::text as id,
              jsonb_build_object('callback', d.callback, 'trigger', d.trigger, 'nodeId', d.node_id, 'attempts', d.attempts) as facts
  ),
  ${insertAlerts('CallbackDelivery.dead', '$2')}
  select (select count(*)::int from event) as events, ${queuedAlerts}`;

/** Announces these dead deliveries (or, with null, any death left unannounced) to CallbackDelivery.dead callbacks. */
export async function announceDeadDeliveries(
  pool: Pool,
  ids: readonly string[] | null,
  alerts: readonly AlertCallback[],
): Promise<number> {
  const { rows } = await pool.query<{ events: number }>(ANNOUNCE_DEAD, [ids, JSON.stringify(alerts.map(toRecord))]);
  return rows[0]?.events ?? 0;
}

// Switches the callbacks in `candidate` off, each only if it is on now (so two workers seeing the same
// 410 announce it once), and announces each to CallbackDelivery.disabled callbacks with its facts.
const switchOff = (candidates: string) => `
  with candidate as (${candidates}),
  switched as (
    insert into callback_setting (name, enabled, reason, updated_at)
    select c.name, false, $2, now() from candidate c
    on conflict (name) do update set enabled = false, reason = excluded.reason, updated_at = now()
     where callback_setting.enabled
    returning name
  ),
  event as (
    select s.name as id, jsonb_build_object(
             'reason', $2::text,
             'failingSince', (select st.failing_since from callback_state st where st.callback = s.name),
             'lastError', coalesce($4::text, (select e.message from callback_last_error e where e.callback = s.name))) as facts
      from switched s where s.name <> all($5::text[])
  ),
  ${insertAlerts('CallbackDelivery.disabled', '$3')}
  select array(select name from switched) as names, ${queuedAlerts}`;

const DISABLE_GONE = switchOff('select $1::text as name');
const DISABLE_FAILING = switchOff(`
  select st.callback as name from callback_state st
    join jsonb_to_recordset($1::jsonb) as c(name text, after_ms float8) on c.name = st.callback
   where st.failing_since < now() - make_interval(secs => c.after_ms / 1000)`);

/** 410 Gone: the callback is switched off and announced; false when it was off already. */
export async function disableGoneCallback(
  pool: Pool,
  name: string,
  lastError: string,
  alerts: readonly AlertCallback[],
): Promise<boolean> {
  const { rows } = await pool.query<{ names: string[] }>(DISABLE_GONE, [
    name,
    'gone',
    JSON.stringify(alerts.map(toRecord)),
    lastError,
    alerts.map((a) => a.name),
  ]);
  return (rows[0]?.names.length ?? 0) > 0;
}

/**
 * Switches off every callback (of those given, each with its disableAfterFailingFor) that has failed
 * without a delivery for longer than its limit, and announces it; returns the names it switched off.
 */
export async function disableFailingCallbacks(
  pool: Pool,
  limits: readonly { name: string; afterMs: number }[],
  alerts: readonly AlertCallback[],
): Promise<string[]> {
  if (limits.length === 0) return [];
  const { rows } = await pool.query<{ names: string[] }>(DISABLE_FAILING, [
    JSON.stringify(limits.map((limit) => ({ name: limit.name, after_ms: limit.afterMs }))),
    'failing',
    JSON.stringify(alerts.map(toRecord)),
    null,
    alerts.map((a) => a.name),
  ]);
  return rows[0]?.names ?? [];
}

const toRecord = (alert: AlertCallback) => ({
  name: alert.name,
  max_attempts: alert.maxAttempts,
  enabled: alert.enabled,
});
