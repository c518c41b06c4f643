import type { GraphQLSchema } from 'graphql';
import type { Tx } from '../db/client.js';
import { conditionHolds } from './condition.js';
import type { Announcement, EventRecorder, NodeEvent, NodeRow } from './events.js';
import type { CallbackDefinition } from './load.js';
import { fieldsHiddenFromCallbacks } from './payload.js';
import { insertDeliveries } from './store/new-deliveries.js';

// Never copied into an event: a snapshot is shown to callback admins and sent to receivers. Fields
// only their owner may read are left out of the stored snapshot too (fieldsHiddenFromCallbacks).
const SECRET_COLUMNS = new Set(['passwordHash']);
// Touched by every write, so it says nothing about what changed.
const BOOKKEEPING_COLUMNS = new Set(['updatedAt']);

/**
 * The transactional outbox: the deliveries an event causes (its callbacks whose `when` holds) are
 * written by the mutation's own transaction, with their jobs (store/new-deliveries.ts). A commit
 * always has its deliveries; a rollback never does.
 */
export function createOutbox(callbacks: readonly CallbackDefinition[], schema: GraphQLSchema): EventRecorder {
  const byTrigger = new Map<string, CallbackDefinition[]>();
  for (const callback of callbacks)
    byTrigger.set(callback.trigger, [...(byTrigger.get(callback.trigger) ?? []), callback]);
  const hiddenByModel = new Map<string, Set<string>>();
  for (const callback of callbacks) {
    const model = callback.trigger.split('.')[0]!;
    hiddenByModel.set(model, new Set(fieldsHiddenFromCallbacks(schema, model)));
  }

  return {
    async record(tx: Tx, event: NodeEvent): Promise<void> {
      const candidates = byTrigger.get(`${event.model}.${event.operation}`);
      if (!candidates) return;
      const node = event.operation === 'deleted' ? null : columnsOf(event.node);
      const previous = event.previous
        ? columnsOf(event.previous)
        : event.operation === 'deleted'
          ? columnsOf(event.node)
          : null;
      const changedFields = changedBetween(previous, node, event.operation);
      if (event.operation === 'updated' && changedFields.length === 0) return;
      // Conditions still see every column at commit; only the stored snapshot goes without the hidden ones.
      const previousValues = previous && without(previous, hiddenByModel.get(event.model));
      const deliveries = candidates
        .filter((callback) => !callback.when || conditionHolds(callback.when, { node, previous, changedFields }))
        .map((callback) => ({
          callback: callback.name,
          trigger: callback.trigger,
          node_id: event.node.id,
          changed_fields: changedFields,
          previous_values: previousValues,
          max_attempts: callback.maxAttempts,
          ordered: callback.ordered,
          enabled: callback.enabled,
        }));
      if (deliveries.length > 0) await insertDeliveries(tx, deliveries);
    },
    // As the worker announces a dead delivery: the facts stand where a payload's snapshot is read from.
    async announce(tx: Tx, { trigger, nodeId, facts }: Announcement): Promise<void> {
      const subscribed = byTrigger.get(trigger);
      if (!subscribed) return;
      await insertDeliveries(
        tx,
        subscribed.map((callback) => ({
          callback: callback.name,
          trigger,
          node_id: nodeId,
          changed_fields: [],
          previous_values: facts,
          max_attempts: callback.maxAttempts,
          ordered: false,
          enabled: callback.enabled,
        })),
      );
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

function without(row: NodeRow, hidden: ReadonlySet<string> | undefined): NodeRow {
  return Object.fromEntries(Object.entries(row).filter(([key]) => !hidden?.has(key))) as NodeRow;
}

function changedBetween(previous: NodeRow | null, node: NodeRow | null, operation: NodeEvent['operation']): string[] {
  if (operation === 'deleted') return [];
  if (!previous || !node) return Object.keys(node ?? {}).filter((key) => !BOOKKEEPING_COLUMNS.has(key));
  return Object.keys(node).filter(
    (key) => !BOOKKEEPING_COLUMNS.has(key) && comparable(node[key]) !== comparable(previous[key]),
  );
}

const comparable = (value: unknown) => (value instanceof Date ? value.getTime() : value);
