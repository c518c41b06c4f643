import { z } from 'zod';
import { cardProblem } from '../lib/card-errors.js';
import { byPath, callbackService, type Outcome } from '../lib/callback-service.js';
import { PaygraphRefusedError } from '../lib/paygraph-client.js';
import type { CallbackEvent, NodeField } from '../lib/verify-callback.js';
import type { ServiceDeps } from '../lib/service-env.js';
import type { Stripe } from '../lib/stripe-client.js';
import { missingAtStripe } from '../lib/stripe-lost.js';
import { customerForUser } from './customer-for-user.js';
import { makeDefaultIfNewest } from './default-card.js';
import { detachCardHandler, forgetCardAtStripe } from './detach-card.js';
import { setupIntentForCard } from './setup-intent-for-card.js';

/** `createStripeCustomer` and `finishCardSetup` in callbacks.yml: the card, what it holds of Stripe's, and its user's cards. */
const cardDetails = z.object({
  id: z.string().min(1),
  cardToken: z.string().min(1),
  status: z.string(),
  stripePaymentMethodId: z.string().nullable(),
  stripeSetupIntentId: z.string().nullable(),
  // Stripe's 24 hours of idempotency count from the card's creation, not from a manual trigger's
  // newer delivery. Optional for a callbacks.yml written before it was asked for: the event's time stands in.
  createdAt: z.iso.datetime().optional(),
  user: z.object({
    id: z.string().min(1),
    email: z.string(),
    name: z.string(),
    stripeId: z.string().nullable(),
    cardDetails: z.array(z.object({ id: z.string(), status: z.string() })),
  }),
});
export type CardDetailsNode = z.infer<typeof cardDetails>;

const SET_STRIPE_ID = 'mutation($id: ID!, $stripeId: String!) { updateUser(id: $id, stripeId: $stripeId) { id } }';
const SET_CARD = `mutation($id: ID!, $status: CardStatus!, $code: String, $message: String, $pm: String, $seti: String, $secret: String,
  $brand: String, $last4: String, $expMonth: Int, $expYear: Int) {
  updateCardDetails(id: $id, status: $status, failureCode: $code, failureMessage: $message, stripePaymentMethodId: $pm,
    stripeSetupIntentId: $seti, setupClientSecret: $secret, brand: $brand, last4: $last4, expMonth: $expMonth, expYear: $expYear) { id } }`;
// Nothing more to do for these: a refused card is added again as a new one, a detached one is gone.
const FINAL = new Set(['REJECTED', 'DETACHED']);

/**
 * On CardDetails.created: the user's one Stripe customer (made by the first card, ever), the card
 * saved to it as a PaymentMethod for off-session payments through a SetupIntent and made its
 * default when it is the newest, then `stripeId` and the card written back: ACTIVE, REQUIRES_ACTION
 * (the bank asks the owner for 3-D Secure; Stripe's event settles it) or REJECTED with Stripe's
 * reason. Every step finds what an earlier attempt made, so a redelivery, even days later, saves
 * nothing twice. At /setup-finished (a card's 3-D Secure done, by Stripe's event) the same steps
 * make it the default; at /detach, the deleted card is detached at Stripe.
 */
export function createCustomerHandler(deps: ServiceDeps) {
  const saveCardAt = (nodeField: NodeField) =>
    callbackService({
      name: 'create-customer',
      signingSecret: deps.signingSecret,
      logger: deps.logger,
      node: cardDetails,
      nodeField,
      handle: (card, event) => saveCard(deps, card, event),
    });
  return byPath({
    '/': saveCardAt('createdNode'),
    '/setup-finished': saveCardAt('updatedNode'),
    '/detach': detachCardHandler(deps),
  });
}

async function saveCard(deps: ServiceDeps, card: CardDetailsNode, event: CallbackEvent): Promise<Outcome> {
  const { stripe, paygraph } = deps;
  if (FINAL.has(card.status)) return { status: 200, body: { skipped: `already ${card.status}` } };
  try {
    const since = new Date(card.createdAt ?? event.createdAt);
    const { customerId, setup } = await setupOnKnownCustomer(stripe, card, since, deps.returnUrl);
    return await recordSetup(deps, card, customerId, setup).catch(async (error: unknown) => {
      // Deleted while it was being saved: its detachCard may have run before this SetupIntent existed.
      if (!(error instanceof PaygraphRefusedError && error.code === 'NOT_FOUND')) throw error;
      const { body } = await forgetCardAtStripe(stripe, setup, null);
      return { status: 200, body: { ...body, deleted: card.id } };
    });
  } catch (error) {
    const problem = cardProblem(error);
    if (!problem) throw error;
    await paygraph(SET_CARD, { id: card.id, status: 'REJECTED', code: problem.code, message: problem.message });
    return { status: 200, body: { rejected: card.id, reason: problem.code } };
  }
}

/**
 * The card's SetupIntent on the user's customer. A customer Stripe no longer knows (deleted in the
 * Dashboard, a local Stripe restarted empty) is replaced by a new one at once, written back as the
 * user's stripeId, rather than retried for ever.
 */
async function setupOnKnownCustomer(
  stripe: Stripe,
  card: CardDetailsNode,
  since: Date,
  returnUrl: string,
): Promise<{ customerId: string; setup: Stripe.SetupIntent }> {
  const customerId = card.user.stripeId ?? (await customerForUser(stripe, card.user));
  try {
    return { customerId, setup: await setupIntentForCard(stripe, customerId, card, since, returnUrl) };
  } catch (error) {
    if (missingAtStripe(error) !== 'customer') throw error;
    const replacement = await customerForUser(stripe, card.user, customerId);
    return {
      customerId: replacement,
      setup: await setupIntentForCard(stripe, replacement, card, since, returnUrl, customerId),
    };
  }
}

/** The SetupIntent's outcome written back: stripeId, then the card ACTIVE (and the default when newest), REQUIRES_ACTION or REJECTED. */
async function recordSetup(
  { stripe, paygraph }: ServiceDeps,
  card: CardDetailsNode,
  customerId: string,
  setup: Stripe.SetupIntent,
): Promise<Outcome> {
  const method = setup.payment_method as Stripe.PaymentMethod | null;
  if ((setup.status !== 'succeeded' && setup.status !== 'requires_action') || !method) {
    const error = setup.last_setup_error;
    await paygraph(SET_CARD, {
      id: card.id,
      status: 'REJECTED',
      code: error?.code ?? setup.status,
      message: error?.message ?? `The SetupIntent is ${setup.status}`,
    });
    return { status: 200, body: { rejected: card.id, reason: error?.code ?? setup.status } };
  }
  const shown = {
    pm: method.id,
    seti: setup.id,
    brand: method.card?.brand,
    last4: method.card?.last4,
    expMonth: method.card?.exp_month,
    expYear: method.card?.exp_year,
  };
  const madeDefault = setup.status === 'succeeded' && (await makeDefaultIfNewest(stripe, customerId, card, method.id));
  // stripeId before the card: a charge needs both, and each write wakes the purchases waiting for them.
  if (customerId !== card.user.stripeId) await paygraph(SET_STRIPE_ID, { id: card.user.id, stripeId: customerId });
  if (setup.status === 'requires_action') {
    await paygraph(SET_CARD, { id: card.id, status: 'REQUIRES_ACTION', secret: setup.client_secret, ...shown });
    return { status: 200, body: { requiresAction: card.id, setupIntent: setup.id } };
  }
  await paygraph(SET_CARD, { id: card.id, status: 'ACTIVE', ...shown });
  return { status: 200, body: { active: card.id, customer: customerId, default: madeDefault } };
}
