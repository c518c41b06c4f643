import { z } from 'zod';
import { callbackService, type Outcome } from '../lib/callback-service.js';
import type { ServiceDeps } from '../lib/service-env.js';
import { expectStripeObject, Stripe } from '../lib/stripe-client.js';
import { existingCustomerOf } from './customer-for-user.js';
import { findSetupIntentOfCard } from './setup-intent-for-card.js';

/** `detachCard` in callbacks.yml: { deletedNode { id userId stripePaymentMethodId stripeSetupIntentId } } */
const deletedCard = z.object({
  id: z.string().min(1),
  stripePaymentMethodId: z.string().nullable(),
  // Optional for a callbacks.yml written before they were asked for: the card is then found by its PaymentMethod alone.
  stripeSetupIntentId: z.string().nullable().optional(),
  userId: z.string().nullable().optional(),
});
type DeletedCard = z.infer<typeof deletedCard>;

const isMissing = (error: unknown) =>
  error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing';
const orNullIfMissing = (error: unknown) => {
  if (isMissing(error)) return null;
  throw error;
};
const idOf = (value: string | { id: string } | null | undefined) =>
  typeof value === 'string' ? value : (value?.id ?? null);

/**
 * On CardDetails.deleted: the card's SetupIntent is canceled unless it succeeded (a canceled one
 * cannot complete 3-D Secure), its PaymentMethod is detached from the customer at Stripe, so nothing
 * can charge it again, and the customer's newest remaining card becomes its default. A card deleted
 * before create-customer wrote its ids back is found at Stripe by `metadata.cardDetailsId`.
 */
export function detachCardHandler(deps: ServiceDeps) {
  const { stripe } = deps;
  return callbackService({
    name: 'create-customer',
    signingSecret: deps.signingSecret,
    logger: deps.logger,
    node: deletedCard,
    nodeField: 'deletedNode',
    handle: async (card): Promise<Outcome> =>
      forgetCardAtStripe(stripe, await setupIntentOfDeleted(stripe, card), card.stripePaymentMethodId),
  });
}

/**
 * What Stripe holds of a card Paygraph no longer has, made harmless: its SetupIntent canceled unless
 * it succeeded, and its PaymentMethod detached. Also create-customer's answer when its write-back
 * finds the card deleted meanwhile.
 */
export async function forgetCardAtStripe(
  stripe: Stripe,
  setup: Stripe.SetupIntent | null,
  paymentMethodId: string | null,
): Promise<Outcome> {
  const settled = setup && (await cancelUnlessSucceeded(stripe, setup));
  const methodId = paymentMethodId ?? idOf(settled?.payment_method);
  const canceled = settled?.status === 'canceled' ? { canceled: settled.id } : {};
  if (!methodId) return { status: 200, body: { ...canceled, skipped: 'the card was never saved at Stripe' } };
  const detached = await detachPaymentMethod(stripe, methodId);
  return { status: 200, body: { ...canceled, ...(detached ?? { skipped: 'already detached' }) } };
}

async function setupIntentOfDeleted(stripe: Stripe, card: DeletedCard): Promise<Stripe.SetupIntent | null> {
  if (card.stripeSetupIntentId) return stripe.setupIntents.retrieve(card.stripeSetupIntentId).catch(orNullIfMissing);
  // Deleted while create-customer was saving it: the ids were never written back.
  const customerId = card.userId ? await existingCustomerOf(stripe, card.userId) : null;
  if (customerId) return findSetupIntentOfCard(stripe, { customer: customerId }, card.id);
  if (card.stripePaymentMethodId)
    return findSetupIntentOfCard(stripe, { payment_method: card.stripePaymentMethodId }, card.id);
  return null;
}

/** The SetupIntent, canceled unless it succeeded; one that succeeds as it is canceled is returned as it now is. */
async function cancelUnlessSucceeded(stripe: Stripe, setup: Stripe.SetupIntent): Promise<Stripe.SetupIntent> {
  if (setup.status === 'succeeded' || setup.status === 'canceled') return setup;
  try {
    return expectStripeObject(
      await stripe.setupIntents.cancel(setup.id, { cancellation_reason: 'abandoned' }),
      'setup_intent',
    );
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'setup_intent_unexpected_state'))
      throw error;
    return expectStripeObject(await stripe.setupIntents.retrieve(setup.id), 'setup_intent');
  }
}

/** Detaches an attached PaymentMethod and gives its customer the newest remaining card as default; null when it was not attached. */
async function detachPaymentMethod(
  stripe: Stripe,
  paymentMethodId: string,
): Promise<{ detached: string; default: string | null } | null> {
  const method = await stripe.paymentMethods.retrieve(paymentMethodId).catch(orNullIfMissing);
  const customerId = idOf(method?.customer);
  if (!method || !customerId) return null;
  await stripe.paymentMethods.detach(method.id);
  const remaining = await stripe.paymentMethods.list({ customer: customerId, type: 'card', limit: 100 });
  const newest = remaining.data.sort((a, b) => b.created - a.created)[0];
  await stripe.customers.update(customerId, { invoice_settings: { default_payment_method: newest?.id ?? '' } });
  return { detached: method.id, default: newest?.id ?? null };
}
