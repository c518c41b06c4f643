import type { Tx } from '../../db/client.js';
import type { Queryable } from '../../db/queryable.js';
import { sendBehind } from '../../db/write-behind.js';
import { queueJobFor } from './delivery-job.js';

/** One delivery an event causes, as the outbox hands it over. */
export interface NewDelivery {
  callback: string;
  trigger: string;
  node_id: string;
  changed_fields: string[];
  previous_values: Record<string, unknown> | null;
  max_attempts: number;
  ordered: boolean;
  /**
   * The callback's `enabled` in callbacks.yml. One switched off at runtime (callback_setting: by an
   * operator, or by Paygraph after a 410 or disableAfterFailingFor) still records its events, held
   * untried until it is switched on: a committed purchase is never forgotten. One off in
   * callbacks.yml records none, unless switched on at runtime.
   */
  enabled: boolean;
}

const INSERT_DELIVERIES = `
  with new_delivery as (
    insert into callback_delivery (callback, trigger, node_id, changed_fields, previous_values, max_attempts, ordered)
    select d.callback, d.trigger, d.node_id, d.changed_fields, d.previous_values, d.max_attempts, d.ordered
      from jsonb_to_recordset($1::jsonb) as d(
        callback text, trigger text, node_id text, changed_fields text[], previous_values jsonb,
        max_attempts int, ordered boolean, enabled boolean)
     where d.enabled or coalesce((select s.enabled from callback_setting s where s.name = d.callback), false)
    returning id, callback, node_id, ordered
  )
  select ${queueJobFor('new_delivery')} from new_delivery where ordered`;

/**
 * The transactional outbox's one statement: the deliveries of an event, written by the mutation's
 * own transaction. A commit always has its deliveries; a rollback never does. Only `ordered` ones get
 * a graphile-worker job here (their named queue keeps a node's events in order); the others' first
 * attempt is sent by a worker's dispatcher, woken by the row's NOTIFY or found by its backlog pump
 * (../dispatcher.ts), which keeps add_job and its own NOTIFY off the mutation's path. In a GraphQL
 * mutation the statement rides with the transaction's next one, COMMIT at the latest
 * (src/db/write-behind.ts): no round trip of its own, and still nothing commits without it.
 */
export async function insertDeliveries(tx: Tx, deliveries: readonly NewDelivery[]): Promise<void> {
  await sendBehind(tx, INSERT_DELIVERIES, [JSON.stringify(deliveries)]);
}

/**
 * A fresh delivery of one callback for an existing node, queued now (a manual trigger): no changed
 * fields, no previous values. Returns its id, or null when the node does not exist.
 */
export async function insertManualDelivery(
  db: Queryable,
  delivery: { callback: string; trigger: string; model: string; nodeId: string; maxAttempts: number; ordered: boolean },
): Promise<string | null> {
  // The model comes from a validated trigger (MODELS), never from the caller, so it may name the table.
  const { rows } = await db.query<{ id: string }>(
    `with new_delivery as (
       insert into callback_delivery (callback, trigger, node_id, changed_fields, max_attempts, ordered)
       select $1, $2, id, '{}', $4, $5 from "${delivery.model}" where id = $3
       returning id, callback, node_id, ordered
     )
     select id, ${queueJobFor('new_delivery')} from new_delivery`,
    [delivery.callback, delivery.trigger, delivery.nodeId, delivery.maxAttempts, delivery.ordered],
  );
  return rows[0]?.id ?? null;
}

/**
 * Pending deliveries of these nodes' events go now. `woken_at` also reaches an attempt already in
 * flight, which read its payload before this transaction committed: its retry is then not delayed.
 */
export async function wakeDeliveries(tx: Tx, trigger: string, nodeIds: string[]): Promise<void> {
  await tx.$queryRawUnsafe(
    // Locked in id order, as an attempt record locks them: a user's several waiting charges, woken while
    // a record moves some of them, would otherwise deadlock with it (and this mutation would fail).
    `with waiting as (
       select id from callback_delivery
        where trigger = $1 and node_id = any($2::text[]) and status::text = 'PENDING' -- by node, not by status: see claims.ts
        order by id for update
     ), woken as (
       update callback_delivery d set woken_at = clock_timestamp(), next_attempt_at = now()
         from waiting where d.id = waiting.id
       returning d.id, d.callback, d.node_id, d.ordered
     )
     select count(${queueJobFor('woken')})::int from woken`,
    trigger,
    nodeIds,
  );
}
