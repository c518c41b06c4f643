import type { Tx } from '../db/client.js';

export const MODELS = ['User', 'CardDetails', 'Purchase', 'Refund'] as const;
export type ModelName = (typeof MODELS)[number];
export const OPERATIONS = ['created', 'updated', 'deleted'] as const;
export type Operation = (typeof OPERATIONS)[number];
export type Trigger = `${ModelName}.${Operation}`;

/** A row as the mutation saw it; relation objects Prisma may have included are ignored. */
export type NodeRow = { id: string } & Record<string, unknown>;

/** What a mutation tells the callbacks engine, inside the mutation's own transaction. */
export interface NodeEvent {
  model: ModelName;
  operation: Operation;
  node: NodeRow;
  previous?: NodeRow;
}

export interface EventRecorder {
  record(tx: Tx, event: NodeEvent): Promise<void>;
}
