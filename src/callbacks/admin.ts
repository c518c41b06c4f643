import type { Pool } from 'pg';
import type { Tx } from '../db/client.js';
import { onTransaction, type Queryable } from '../db/queryable.js';
import { badInput, notFound } from '../errors.js';
import { retireOlderSecrets, rotateCallbackSecret } from './store/secrets.js';
import { isBuiltinTrigger } from './events.js';
import { insertManualDelivery } from './store/new-deliveries.js';
import {
  countRedeliverable,
  deliveryCallback,
  redeliver,
  redeliverMatching,
  type RedeliveryFilter,
} from './store/redelivery.js';
import { callbackStats, NO_DELIVERIES, type CallbackStats } from './store/reports.js';
import { callbackConditions, forgetFailing, type CallbackCondition } from './store/callback-state.js';
import { enabledOverrides, setCallbackEnabled } from './store/settings.js';
import type { CallbackDefinition } from './load.js';

export interface CallbackSummary {
  name: string;
  trigger: string;
  url: string;
  enabled: boolean;
  ordered: boolean;
  maxAttempts: number;
  timeoutMs: number;
  stats: CallbackStats;
  condition: CallbackCondition;
  maxInFlight: number | null;
  ratePerSecond: number | null;
  /** "own": its generated secret (rotate with the CLI); "callbacks.yml": the file's. */
  secretSource: 'own' | 'callbacks.yml';
}

/** What operators may do to callbacks on one connection or transaction: the pool's, or a mutation's. */
export interface CallbackOperations {
  list(): Promise<CallbackSummary[]>;
  redeliver(deliveryId: string): Promise<void>;
  setEnabled(name: string, enabled: boolean): Promise<CallbackSummary>;
  /** How many deliveries `redeliverMatching` would send again now. */
  countRedeliverable(filter: RedeliveryFilter): Promise<number>;
  /** Redelivers the failed or dead deliveries of one callback in a time range; returns how many. */
  redeliverMatching(filter: RedeliveryFilter): Promise<number>;
  /** Sends a callback now for an existing node, as a fresh event; returns the new delivery's id. */
  trigger(name: string, nodeId: string): Promise<string>;
}

/**
 * What operators may do to callbacks, shared by the GraphQL admin fields and `npm run callbacks`. Its
 * own operations run on the pool, each committed at once: for the CLI and for queries. A mutation
 * uses `within(ctx.db)`, or a request refused later would still have changed something.
 */
export interface CallbackAdmin extends CallbackOperations {
  /**
   * The same operations in a GraphQL mutation's transaction (`ctx.db`): what they write commits or
   * rolls back with the request, and the jobs they queue wake the worker (NOTIFY) only on commit.
   */
  within(tx: Pick<Tx, '$queryRawUnsafe'>): CallbackOperations;
  /** A new own secret signs first; the current ones sign beside it for `graceMs`. */
  rotateSecret(name: string, graceMs: number): Promise<{ secret: string; previousUntil: Date }>;
  /** Ends a rotation's grace now; returns how many older secrets stopped signing. */
  retireOlderSecrets(name: string): Promise<number>;
}

export function createCallbackAdmin(pool: Pool, callbacks: readonly CallbackDefinition[]): CallbackAdmin {
  const byName = new Map(callbacks.map((callback) => [callback.name, callback]));
  const definition = (name: string) => {
    const callback = byName.get(name);
    if (!callback) throw notFound(`Callback "${name}"`);
    return callback;
  };
  // A secret written in callbacks.yml is rotated there (secrets: [new, old]); the database's would never be used.
  const ownSecretOf = (name: string) => {
    const callback = definition(name);
    if (callback.secrets !== null)
      throw badInput(
        `Callback "${name}" signs with the secret callbacks.yml gives it; rotate it there with secrets: [new, old]`,
      );
    return callback;
  };
  const operationsOn = (db: Queryable): CallbackOperations => ({
    list: () => listCallbacks(db, callbacks),
    async countRedeliverable(filter) {
      definition(filter.callback);
      return countRedeliverable(db, filter);
    },
    trigger: (name, nodeId) => triggerByHand(db, definition(name), nodeId),
    async redeliverMatching(filter) {
      return redeliverMatching(db, filter, definition(filter.callback).maxAttempts);
    },
    async redeliver(deliveryId) {
      const name = await deliveryCallback(db, deliveryId);
      if (name === null) throw notFound('Callback delivery');
      // A callback since removed from callbacks.yml gets the default allowance.
      await redeliver(db, deliveryId, byName.get(name)?.maxAttempts ?? 25);
    },
    async setEnabled(name, enabled) {
      definition(name);
      await setCallbackEnabled(db, name, enabled);
      // Switched on again: a callback disabled for failing starts a fresh failing clock.
      if (enabled) await forgetFailing(db, name);
      return (await listCallbacks(db, callbacks)).find((callback) => callback.name === name)!;
    },
  });
  return {
    ...operationsOn(pool),
    within: (tx) => operationsOn(onTransaction(tx)),
    // Only the CLI rotates secrets, each rotation committed on its own.
    async rotateSecret(name, graceMs) {
      ownSecretOf(name);
      return rotateCallbackSecret(pool, name, graceMs);
    },
    async retireOlderSecrets(name) {
      ownSecretOf(name);
      return retireOlderSecrets(pool, name);
    },
  };
}

/** A fresh delivery of a node's current state, queued by an operator; null node: NOT_FOUND. */
async function triggerByHand(db: Queryable, callback: CallbackDefinition, nodeId: string): Promise<string> {
  const [model, operation] = callback.trigger.split('.') as [string, string];
  if (isBuiltinTrigger(callback.trigger))
    throw badInput(`Callback "${callback.name}" announces ${callback.trigger} events; they cannot be sent by hand`);
  if (operation === 'deleted')
    throw badInput(`Callback "${callback.name}" fires on deletion; a deleted node cannot be sent again`);
  const id = await insertManualDelivery(db, {
    callback: callback.name,
    trigger: callback.trigger,
    model,
    nodeId,
    maxAttempts: callback.maxAttempts,
    ordered: callback.ordered,
  });
  if (!id) throw notFound(`${model} ${nodeId}`);
  return id;
}

/** Each callback as callbacks.yml defines it, with its runtime switch, its delivery counts and its condition. */
async function listCallbacks(db: Queryable, callbacks: readonly CallbackDefinition[]) {
  const [overrides, stats, conditions] = await Promise.all([
    enabledOverrides(db),
    callbackStats(db),
    callbackConditions(db),
  ]);
  return callbacks.map((callback) => ({
    name: callback.name,
    trigger: callback.trigger,
    // Only the origin: a URL may carry a token in its path or query.
    url: new URL(callback.url).origin,
    enabled: overrides.get(callback.name) ?? callback.enabled,
    ordered: callback.ordered,
    maxAttempts: callback.maxAttempts,
    timeoutMs: callback.timeoutMs,
    stats: stats.get(callback.name) ?? NO_DELIVERIES,
    condition: conditions.get(callback.name) ?? { disabledReason: null, failingSince: null, pausedUntil: null },
    maxInFlight: callback.maxInFlight,
    ratePerSecond: callback.ratePerSecond,
    secretSource: callback.secrets === null ? ('own' as const) : ('callbacks.yml' as const),
  }));
}
