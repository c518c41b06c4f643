import type { Purchase } from '../generated/prisma/client.js';
import type { CardStatus } from '../generated/prisma/enums.js';
import type { Context } from '../schema/context.js';
import type { PurchaseChange } from './purchase-state.js';

/**
 * A purchase made while its user's only card waits for the owner's 3-D Secure waits too
 * (`waitingFor: CARD_AUTHENTICATION`): charge-customer says so (docs/callbacks.md, "Waiting"), the
 * card's authentication wakes the charge, and an authentication abandoned fails the purchase.
 */
export const CARD_AUTHENTICATION_ABANDONED = {
  failureCode: 'card_authentication_abandoned',
  failureMessage:
    "The card's 3-D Secure authentication was abandoned (canceled, the card removed, or not finished in time): nothing was charged; authenticate or add a card, then buy again",
};

// Cards that may still become chargeable: while the user has one, a waiting purchase keeps waiting.
const STILL_USABLE: readonly CardStatus[] = ['PENDING', 'REQUIRES_ACTION', 'ACTIVE'];

/**
 * charge-customer's "waiting for authentication" write-back: the purchase waits, unless it has waited
 * `timeoutMs` since it was made (Stripe's SetupIntents never expire by themselves, so Paygraph sets the
 * deadline). Only an unsettled, unpaid purchase waits; anything else is left as it is.
 */
export function waitForCardAuthentication(
  previous: Purchase,
  timeoutMs: number,
  now = Date.now(),
): Partial<PurchaseChange> {
  if (previous.isPaid || previous.status !== 'PENDING') return {};
  if (now - previous.createdAt.getTime() >= timeoutMs)
    return { status: 'FAILED', clientSecret: null, waitingFor: null, ...CARD_AUTHENTICATION_ABANDONED };
  return { waitingFor: 'CARD_AUTHENTICATION' };
}

/** The user's card was authenticated: their waiting purchases proceed (their charges are woken beside this). */
export async function stopWaitingForCard(ctx: Pick<Context, 'db' | 'events'>, userId: string): Promise<void> {
  await changeWaiting(ctx, userId, { waitingFor: null });
}

/**
 * A card stopped waiting for its authentication without being saved (its SetupIntent canceled, the
 * card removed): with no other card the user may still charge, the purchases waiting for it fail now.
 */
export async function abandonWaitingForCard(ctx: Pick<Context, 'db' | 'events'>, userId: string): Promise<void> {
  const usable = await ctx.db.cardDetails.count({ where: { userId, status: { in: [...STILL_USABLE] } } });
  if (usable > 0) return;
  await changeWaiting(ctx, userId, { waitingFor: null, status: 'FAILED', ...CARD_AUTHENTICATION_ABANDONED });
}

async function changeWaiting(
  ctx: Pick<Context, 'db' | 'events'>,
  userId: string,
  data: Partial<PurchaseChange>,
): Promise<void> {
  const waiting = await ctx.db.purchase.findMany({
    where: { userId, status: 'PENDING', isPaid: false, waitingFor: { not: null } },
    orderBy: { id: 'asc' },
  });
  for (const previous of waiting) {
    // Only while it still waits: a write-back that settled it meanwhile wins.
    const { count } = await ctx.db.purchase.updateMany({
      where: { id: previous.id, status: 'PENDING', isPaid: false },
      data,
    });
    if (count === 0) continue;
    const purchase = await ctx.db.purchase.findUniqueOrThrow({ where: { id: previous.id } });
    await ctx.events.record(ctx.db, { model: 'Purchase', operation: 'updated', node: purchase, previous });
  }
}
