import type { CardDetails, Prisma } from '../generated/prisma/client.js';
import { changeCard, SETUP_CANCELED } from '../payments/card-state.js';
import { changeStripeId } from '../payments/customer-state.js';
import { paymentMethodShape, setupIntentShape, type StripeEventEnvelope } from './event-shape.js';
import { done, notApplied, type Outcome, type Scope } from './outcome.js';
import { modeMismatch } from './own-payment.js';

const WAITING = ['PENDING', 'REQUIRES_ACTION'];

interface CardEvent {
  data: Prisma.CardDetailsUpdateInput;
  find: Prisma.CardDetailsWhereInput[];
  from: string[];
  setupIntentId?: string;
  customerId?: string | null;
}

/** What a Stripe event says about a saved card, and how to find the card details. */
export function cardEvent(event: StripeEventEnvelope): CardEvent | null {
  if (event.type === 'setup_intent.succeeded' || event.type === 'setup_intent.setup_failed') {
    const intent = setupIntentShape.parse(event.data.object);
    const cardDetailsId = intent.metadata.cardDetailsId;
    const find = [{ stripeSetupIntentId: intent.id }, ...(cardDetailsId ? [{ id: cardDetailsId }] : [])];
    const about = { find, from: WAITING, setupIntentId: intent.id };
    if (event.type === 'setup_intent.succeeded') {
      const paymentMethodId = intent.payment_method;
      const data = {
        status: 'ACTIVE',
        stripeSetupIntentId: intent.id,
        setupClientSecret: null,
        failureCode: null,
        failureMessage: null,
        ...(paymentMethodId && { stripePaymentMethodId: paymentMethodId }),
      } as const;
      // Only a card saved makes its customer the owner's: a refused card leaves the owner without one.
      return { ...about, data, customerId: intent.customer };
    }
    const error = intent.last_setup_error;
    return {
      ...about,
      data: {
        status: 'REJECTED',
        stripeSetupIntentId: intent.id,
        setupClientSecret: null,
        failureCode: error?.code ?? 'setup_failed',
        failureMessage: error?.message ?? 'The card could not be saved',
      },
    };
  }
  if (event.type === 'setup_intent.canceled') {
    // The owner's 3-D Secure will never finish (canceled at Stripe or by Paygraph): the card is not saved.
    const intent = setupIntentShape.parse(event.data.object);
    const cardDetailsId = intent.metadata.cardDetailsId;
    return {
      find: [{ stripeSetupIntentId: intent.id }, ...(cardDetailsId ? [{ id: cardDetailsId }] : [])],
      from: ['REQUIRES_ACTION'],
      setupIntentId: intent.id,
      data: {
        status: 'REJECTED',
        setupClientSecret: null,
        failureCode: SETUP_CANCELED,
        failureMessage: "The card's authentication was canceled before it was finished: add the card again",
      },
    };
  }
  if (event.type === 'payment_method.detached') {
    const method = paymentMethodShape.parse(event.data.object);
    return {
      data: { status: 'DETACHED', setupClientSecret: null },
      find: [{ stripePaymentMethodId: method.id }],
      from: ['PENDING', 'REQUIRES_ACTION', 'ACTIVE', 'REJECTED'],
    };
  }
  return null;
}

/** Why a SetupIntent is not the card's own: another SetupIntent recorded, or another customer than its owner's. */
function setupMismatch(card: CardDetails, ownerCustomerId: string | null, change: CardEvent): string | null {
  if (!change.setupIntentId) return null;
  if (card.stripeSetupIntentId && card.stripeSetupIntentId !== change.setupIntentId)
    return `SetupIntent ${change.setupIntentId} is not the card's own (${card.stripeSetupIntentId})`;
  if (ownerCustomerId && change.customerId !== undefined && change.customerId !== ownerCustomerId)
    return `SetupIntent ${change.setupIntentId} is for customer ${change.customerId ?? '(none)'}, not the card owner's (${ownerCustomerId})`;
  return null;
}

export async function applyCardEvent(scope: Scope, event: StripeEventEnvelope, change: CardEvent): Promise<Outcome> {
  const [previous] = await scope.db.cardDetails.findMany({ where: { OR: change.find }, take: 1 });
  if (!previous) return done('ignored');
  // Only a SetupIntent's event names a customer to check against the owner's.
  const owner = change.setupIntentId
    ? await scope.db.user.findUnique({ where: { id: previous.userId }, select: { stripeId: true } })
    : null;
  const mismatch = modeMismatch(previous, event.livemode) ?? setupMismatch(previous, owner?.stripeId ?? null, change);
  if (mismatch) return notApplied(mismatch);
  if (!change.from.includes(previous.status)) return done('unchanged');
  // create-customer writes the owner's stripeId before the card, so an ACTIVE card's owner has a
  // customer; this event can come before both, and then records the first customer too. The card
  // wakes the waiting charges next: woken here, they would be locked before the card, the other
  // way round from create-customer's card write-back, and the two deadlocked (bench:e2e).
  const { customerId } = change;
  if (customerId)
    await changeStripeId(scope, previous.userId, (current) => current ?? customerId, { wakeCharges: false });
  await changeCard(scope, previous, change.data);
  return done('applied');
}
