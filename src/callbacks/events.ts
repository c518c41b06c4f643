import type { Tx } from '../db/client.js';

export const MODELS = ['User', 'CardDetails', 'Purchase', 'Refund'] as const;
export type ModelName = (typeof MODELS)[number];
export const OPERATIONS = ['created', 'updated', 'deleted'] as const;
export type Operation = (typeof OPERATIONS)[number];
export type Trigger = `${ModelName}.${Operation}`;

/**
 * Paygraph's own events, which a callback can subscribe to like any trigger (to page someone): a
 * delivery used up its attempts; a callback was switched off automatically; a verified Stripe event
 * named something of ours but was not its own payment, so it changed nothing.
 */
export const BUILTIN_TRIGGERS = [
  'CallbackDelivery.dead',
  'CallbackDelivery.disabled',
  'StripeEvent.notApplied',
] as const;
export type BuiltinTrigger = (typeof BUILTIN_TRIGGERS)[number];
export const isBuiltinTrigger = (trigger: string): trigger is BuiltinTrigger =>
  (BUILTIN_TRIGGERS as readonly string[]).includes(trigger);

/** A row as the mutation saw it; relation objects Prisma may have included are ignored. */
export type NodeRow = { id: string } & Record<string, unknown>;

/** What a mutation tells the callbacks engine, inside the mutation's own transaction. */
export interface NodeEvent {
  model: ModelName;
  operation: Operation;
  node: NodeRow;
  previous?: NodeRow;
}

/** One of Paygraph's own events, announced in the transaction that causes it; `facts` are taken then. */
export interface Announcement {
  trigger: BuiltinTrigger;
  nodeId: string;
  facts: Record<string, unknown>;
}

export interface EventRecorder {
  record(tx: Tx, event: NodeEvent): Promise<void>;
  announce(tx: Tx, announcement: Announcement): Promise<void>;
}
