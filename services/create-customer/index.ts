import { z } from 'zod';
import { cardProblem } from '../lib/card-errors.js';
import { callbackService, type Outcome } from '../lib/callback-service.js';
import type { ServiceDeps } from '../lib/service-env.js';
import { expectStripeObject, Stripe } from '../lib/stripe-client.js';

/** `createStripeCustomer` in callbacks.yml: { createdNode { id cardToken user { id email name stripeId } } } */
const newCardDetails = z.object({
  id: z.string().min(1),
  cardToken: z.string().min(1),
  user: z.object({ id: z.string().min(1), email: z.string(), name: z.string(), stripeId: z.string().nullable() }),
});
type NewCardDetails = z.infer<typeof newCardDetails>;

const SET_STRIPE_ID = 'mutation($id: ID!, $stripeId: String!) { updateUser(id: $id, stripeId: $stripeId) { id } }';
const SET_CARD_STATUS = `mutation($id: ID!, $status: CardStatus!, $code: String, $message: String) {
  updateCardDetails(id: $id, status: $status, failureCode: $code, failureMessage: $message) { id } }`;

/**
 * On CardDetails.created: a user's first card creates their Stripe customer with it (stripeId is
 * written back), a later card is attached to that customer and made its default; either way the
 * card details become ACTIVE. A card Stripe refuses makes them REJECTED, with Stripe's reason.
 */
export function createCustomerHandler(deps: ServiceDeps) {
  const { stripe, paygraph } = deps;
  return callbackService({
    name: 'create-customer',
    signingSecret: deps.signingSecret,
    logger: deps.logger,
    node: newCardDetails,
    async handle(card): Promise<Outcome> {
      try {
        const existing = card.user.stripeId ? await attachCard(stripe, card.user.stripeId, card) : null;
        // No customer yet, or Stripe no longer knows the stored one: this card makes a new one.
        const { customerId, created } = existing ? { customerId: existing, created: false } : { customerId: await createCustomer(stripe, card), created: true };
        // stripeId first: ACTIVE promises a card that can be charged, which needs the customer known.
        if (created) await paygraph(SET_STRIPE_ID, { id: card.user.id, stripeId: customerId });
        await paygraph(SET_CARD_STATUS, { id: card.id, status: 'ACTIVE' });
        return { status: 200, body: { active: card.id, customer: customerId } };
      } catch (error) {
        const problem = cardProblem(error);
        if (!problem) throw error;
        await paygraph(SET_CARD_STATUS, { id: card.id, status: 'REJECTED', code: problem.code, message: problem.message });
        return { status: 200, body: { rejected: card.id, reason: problem.code } };
      }
    },
  });
}

/**
 * The customer with the card as its source, as in the Graphcool tutorial. Keyed by the card
 * details, so a redelivery within Stripe's 24 hours of key memory returns the same customer.
 */
async function createCustomer(stripe: Stripe, card: NewCardDetails): Promise<string> {
  const customer = await stripe.customers.create(
    {
      email: card.user.email,
      name: card.user.name,
      source: card.cardToken,
      // cardDetailsId marks the card this customer was created with (see attachCard).
      metadata: { userId: card.user.id, cardDetailsId: card.id },
    },
    { idempotencyKey: `create-customer:${card.id}` },
  );
  return expectStripeObject(customer, 'customer').id;
}

/** A further card: attached to the user's customer and made its default source; null when that customer is gone. */
async function attachCard(stripe: Stripe, customerId: string, card: NewCardDetails): Promise<string | null> {
  const customer = await stripe.customers.retrieve(customerId).catch((error: unknown) => {
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing') return null;
    throw error;
  });
  if (!customer || customer.deleted) return null;
  // A redelivery after stripeId was written but before ACTIVE was: the customer was created with
  // this very card, and a card token cannot be used twice.
  if (customer.metadata?.cardDetailsId === card.id) return customerId;
  const source = expectStripeObject(
    await stripe.customers.createSource(customerId, { source: card.cardToken }, { idempotencyKey: `attach-card:${card.id}` }),
    'card',
    'source',
  );
  await stripe.customers.update(customerId, { default_source: source.id }, { idempotencyKey: `default-card:${card.id}` });
  return customerId;
}
