import type { Tx } from '../db/client.js';
import { conditionHolds } from './condition.js';
import type { EventRecorder, NodeEvent, NodeRow, Trigger } from './events.js';
import type { CallbackDefinition } from './load.js';

// Never copied into an event: a snapshot is shown to callback admins and sent to receivers.
const SECRET_COLUMNS = new Set(['passwordHash']);
// Touched by every write, so it says nothing about what changed.
const BOOKKEEPING_COLUMNS = new Set(['updatedAt']);

/**
 * The transactional outbox: the deliveries an event causes are written by the mutation's own
 * transaction, and their jobs queued by the same statement. A commit always has its deliveries;
 * a rollback never does. The first job carries no job key, which keeps add_job cheap on the
 * mutation's path; a second job for one delivery (a retry, a wake-up) is harmless, because an
 * attempt claims its delivery before it sends.
 */
export function createOutbox(callbacks: readonly CallbackDefinition[]): EventRecorder {
  const byTrigger = new Map<Trigger, CallbackDefinition[]>();
  for (const callback of callbacks) byTrigger.set(callback.trigger, [...(byTrigger.get(callback.trigger) ?? []), callback]);

  return {
    async record(tx: Tx, event: NodeEvent): Promise<void> {
      const candidates = byTrigger.get(`${event.model}.${event.operation}`);
      if (!candidates) return;
      const node = event.operation === 'deleted' ? null : columnsOf(event.node);
      const previous = event.previous ? columnsOf(event.previous) : event.operation === 'deleted' ? columnsOf(event.node) : null;
      const changedFields = changedBetween(previous, node, event.operation);
      if (event.operation === 'updated' && changedFields.length === 0) return;
      const rows = candidates
        .filter((callback) => !callback.when || conditionHolds(callback.when, { node, previous, changedFields }))
        .map((callback) => ({
          callback: callback.name,
          trigger: callback.trigger,
          node_id: event.node.id,
          changed_fields: changedFields,
          previous_values: previous,
          max_attempts: callback.maxAttempts,
          ordered: callback.ordered,
          enabled: callback.enabled,
        }));
      if (rows.length === 0) return;
      await tx.$executeRaw`
        with new_delivery as (
          insert into callback_delivery (callback, trigger, node_id, changed_fields, previous_values, max_attempts, ordered)
          select d.callback, d.trigger, d.node_id, d.changed_fields, d.previous_values, d.max_attempts, d.ordered
          from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as d(
            callback text, trigger text, node_id text, changed_fields text[], previous_values jsonb,
            max_attempts int, ordered boolean, enabled boolean)
          where coalesce((select s.enabled from callback_setting s where s.name = d.callback), d.enabled)
          returning id, callback, node_id, ordered
        )
        select graphile_worker.add_job(
          'deliver-callback', json_build_object('id', id),
          queue_name => case when ordered then 'callback:' || callback || ':' || node_id end,
          max_attempts => 5)
        from new_delivery`;
    },
  };
}

function columnsOf(row: NodeRow): NodeRow {
  const columns: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (SECRET_COLUMNS.has(key)) continue;
    if (value === null || value instanceof Date || typeof value !== 'object') columns[key] = value;
  }
  return columns as NodeRow;
}

function changedBetween(previous: NodeRow | null, node: NodeRow | null, operation: NodeEvent['operation']): string[] {
  if (operation === 'deleted') return [];
  if (!previous || !node) return Object.keys(node ?? {}).filter((key) => !BOOKKEEPING_COLUMNS.has(key));
  return Object.keys(node).filter(
    (key) => !BOOKKEEPING_COLUMNS.has(key) && comparable(node[key]) !== comparable(previous[key]),
  );
}

const comparable = (value: unknown) => (value instanceof Date ? value.getTime() : value);
