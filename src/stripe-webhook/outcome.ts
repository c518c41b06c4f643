import type { EventRecorder } from '../callbacks/events.js';
import type { Db } from '../db/client.js';

export type Scope = { db: Db; events: EventRecorder };

/**
 * What applying one verified event did. `not applied`: it names a purchase, refund or card of ours but
 * is not its own payment (another amount, customer, account, PaymentIntent...): it changed nothing,
 * and is kept with its reason for an operator and announced (StripeEvent.notApplied).
 */
export type Outcome =
  | { outcome: 'applied'; recordedPaymentIntentId?: string }
  | { outcome: 'unchanged' | 'ignored' | 'held' }
  | { outcome: 'not applied'; reason: string; purchaseId: string | null };

export const done = (outcome: 'applied' | 'unchanged' | 'ignored' | 'held'): Outcome => ({ outcome });
export const notApplied = (reason: string, purchaseId: string | null = null): Outcome => ({
  outcome: 'not applied',
  reason,
  purchaseId,
});

/**
 * Keeps what an event's application did beside the event, in the transaction that applied it, and
 * announces a refused one to the callbacks subscribed to StripeEvent.notApplied (as a dead delivery is).
 */
export async function recordOutcome(scope: Scope, event: { id: string; type: string }, result: Outcome): Promise<void> {
  const reason = result.outcome === 'not applied' ? result.reason : null;
  await scope.db.stripeEvent.update({ where: { id: event.id }, data: { outcome: result.outcome, reason } });
  if (result.outcome !== 'not applied') return;
  await scope.events.announce(scope.db, {
    trigger: 'StripeEvent.notApplied',
    nodeId: event.id,
    facts: { type: event.type, reason: result.reason, purchaseId: result.purchaseId },
  });
}
