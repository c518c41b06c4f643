import { z } from 'zod';
import { cardProblem } from '../lib/card-errors.js';
import { byPath, callbackService, type Outcome } from '../lib/callback-service.js';
import type { ServiceDeps } from '../lib/service-env.js';
import { expectStripeObject, Stripe } from '../lib/stripe-client.js';
import { customerForUser } from './customer-for-user.js';
import { detachCardHandler } from './detach-card.js';

/** `createStripeCustomer` in callbacks.yml: { createdNode { id cardToken user { id email name stripeId } } } */
const newCardDetails = z.object({
  id: z.string().min(1),
  cardToken: z.string().min(1),
  user: z.object({ id: z.string().min(1), email: z.string(), name: z.string(), stripeId: z.string().nullable() }),
});
export type NewCardDetails = z.infer<typeof newCardDetails>;

const SET_STRIPE_ID = 'mutation($id: ID!, $stripeId: String!) { updateUser(id: $id, stripeId: $stripeId) { id } }';
const SET_CARD = `mutation($id: ID!, $status: CardStatus!, $code: String, $message: String, $pm: String, $seti: String, $secret: String,
  $brand: String, $last4: String, $expMonth: Int, $expYear: Int) {
  updateCardDetails(id: $id, status: $status, failureCode: $code, failureMessage: $message, stripePaymentMethodId: $pm,
    stripeSetupIntentId: $seti, setupClientSecret: $secret, brand: $brand, last4: $last4, expMonth: $expMonth, expYear: $expYear) { id } }`;

/**
 * On CardDetails.created: the user's one Stripe customer (made by the first card, ever), the card
 * saved to it as a PaymentMethod for off-session payments through a SetupIntent and made its
 * default, then `stripeId` and the card written back: ACTIVE, REQUIRES_ACTION (the bank asks the
 * owner for 3-D Secure; Stripe's event settles it) or REJECTED with Stripe's reason. At /detach, the
 * deleted card is detached at Stripe.
 */
export function createCustomerHandler(deps: ServiceDeps) {
  const { stripe, paygraph } = deps;
  const saveCard = callbackService({
    name: 'create-customer',
    signingSecret: deps.signingSecret,
    logger: deps.logger,
    node: newCardDetails,
    async handle(card): Promise<Outcome> {
      try {
        const customerId = card.user.stripeId ?? (await customerForUser(stripe, card.user));
        const setup = await setUpCard(stripe, customerId, card);
        const method = setup.payment_method as Stripe.PaymentMethod;
        const shown = { pm: method.id, seti: setup.id, brand: method.card?.brand, last4: method.card?.last4, expMonth: method.card?.exp_month, expYear: method.card?.exp_year };
        if (setup.status !== 'succeeded' && setup.status !== 'requires_action') {
          const error = setup.last_setup_error;
          await paygraph(SET_CARD, { id: card.id, status: 'REJECTED', code: error?.code ?? setup.status, message: error?.message ?? `The SetupIntent is ${setup.status}` });
          return { status: 200, body: { rejected: card.id, reason: error?.code ?? setup.status } };
        }
        if (setup.status === 'succeeded') {
          await stripe.customers.update(customerId, { invoice_settings: { default_payment_method: method.id } }, { idempotencyKey: `default-card:${card.id}` });
        }
        // stripeId before the card: a charge needs both, and each write wakes the purchases waiting for them.
        if (customerId !== card.user.stripeId) await paygraph(SET_STRIPE_ID, { id: card.user.id, stripeId: customerId });
        if (setup.status === 'requires_action') {
          await paygraph(SET_CARD, { id: card.id, status: 'REQUIRES_ACTION', secret: setup.client_secret, ...shown });
          return { status: 200, body: { requiresAction: card.id, setupIntent: setup.id } };
        }
        await paygraph(SET_CARD, { id: card.id, status: 'ACTIVE', ...shown });
        return { status: 200, body: { active: card.id, customer: customerId } };
      } catch (error) {
        const problem = cardProblem(error);
        if (!problem) throw error;
        await paygraph(SET_CARD, { id: card.id, status: 'REJECTED', code: problem.code, message: problem.message });
        return { status: 200, body: { rejected: card.id, reason: problem.code } };
      }
    },
  });
  return byPath({ '/': saveCard, '/detach': detachCardHandler(deps) });
}

/**
 * Saves the card for payments without its owner: a Stripe.js token becomes a PaymentMethod, and a
 * confirmed SetupIntent attaches it (asking for 3-D Secure where the bank wants it). Keyed by the
 * card details, so a redelivery gets the same objects back.
 */
async function setUpCard(stripe: Stripe, customerId: string, card: NewCardDetails): Promise<Stripe.SetupIntent> {
  const paymentMethod = card.cardToken.startsWith('tok_')
    ? expectStripeObject(await stripe.paymentMethods.create({ type: 'card', card: { token: card.cardToken } }, { idempotencyKey: `payment-method:${card.id}` }), 'payment_method').id
    : card.cardToken;
  const setup = await stripe.setupIntents.create(
    {
      customer: customerId,
      payment_method: paymentMethod,
      confirm: true,
      usage: 'off_session',
      metadata: { cardDetailsId: card.id, userId: card.user.id },
      expand: ['payment_method'],
    },
    { idempotencyKey: `setup-card:${card.id}` },
  );
  return expectStripeObject(setup, 'setup_intent');
}
