import { createError } from 'micro';
import { z } from 'zod';
import { cardProblem, type CardProblem } from '../lib/card-errors.js';
import { callbackService, type Outcome } from '../lib/callback-service.js';
import { PaygraphRefusedError, TokenRefusedError } from '../lib/paygraph-client.js';
import type { ServiceDeps } from '../lib/service-env.js';
import { expectStripeObject, Stripe } from '../lib/stripe-client.js';
import { findChargeForPurchase } from './find-charge.js';

/** `chargePurchase` in callbacks.yml: { createdNode { id amount currency description isPaid user { id stripeId } } } */
const newPurchase = z.object({
  id: z.string().min(1),
  amount: z.number().int().positive(),
  currency: z.string().length(3),
  description: z.string(),
  isPaid: z.boolean(),
  user: z.object({ id: z.string().min(1), stripeId: z.string().nullable() }),
});
type NewPurchase = z.infer<typeof newPurchase>;

const SETTLE = `mutation($id: ID!, $chargeId: String!) {
  updatePurchase(id: $id, isPaid: true, status: PAID, stripeChargeId: $chargeId) { id } }`;
const FAIL = `mutation($id: ID!, $code: String!, $message: String!) {
  updatePurchase(id: $id, status: FAILED, failureCode: $code, failureMessage: $message) { id } }`;
const FORGET_CUSTOMER = 'mutation($id: ID!, $stripeId: String!) { forgetStripeCustomer(id: $id, stripeId: $stripeId) { id } }';
const CHECK_TOKEN = '{ viewerAccessToken { name } }';

/**
 * On Purchase.created: charges the user's Stripe customer, never twice for one purchase, and settles
 * the purchase PAID with the charge, or FAILED with Stripe's reason when the card is declined.
 */
export function chargeCustomerHandler(deps: ServiceDeps) {
  const { stripe, paygraph } = deps;
  return callbackService({
    name: 'charge-customer',
    signingSecret: deps.signingSecret,
    logger: deps.logger,
    node: newPurchase,
    async handle(purchase, event): Promise<Outcome> {
      if (purchase.isPaid) return { status: 200, body: { skipped: 'already paid' } };
      const customerId = purchase.user.stripeId;
      // Retried (409): create-customer is making the customer, and the next delivery reads it fresh.
      if (!customerId) throw createError(409, 'The user has no Stripe customer yet; retry once their card is added', new Error('no stripeId'));
      // A charge whose write-back would be refused leaves money taken and the purchase unpaid: the
      // token is checked before Stripe is called, and a refused token charges nothing.
      await paygraph(CHECK_TOKEN, {}).catch((error: unknown) => {
        throw error instanceof PaygraphRefusedError ? new TokenRefusedError(error.message) : error;
      });
      try {
        const charge =
          (await findChargeForPurchase(stripe, purchase.id, new Date(event.createdAt))) ?? (await createCharge(stripe, purchase, customerId));
        if (charge.status !== 'succeeded') throw createError(409, `Charge ${charge.id} is ${charge.status}; retry once it settles`, new Error(charge.status));
        await paygraph(SETTLE, { id: purchase.id, chargeId: charge.id });
        return { status: 200, body: { paid: purchase.id, charge: charge.id } };
      } catch (error) {
        if (isMissingCustomer(error)) {
          await paygraph(FORGET_CUSTOMER, { id: purchase.user.id, stripeId: customerId });
          await paygraph(FAIL, { id: purchase.id, code: 'customer_missing', message: 'Stripe no longer knows this customer; add a card again' });
          return { status: 200, body: { failed: purchase.id, reason: 'customer_missing' } };
        }
        const problem = refusal(error);
        if (!problem) throw error;
        await paygraph(FAIL, { id: purchase.id, code: problem.code, message: problem.message });
        return { status: 200, body: { failed: purchase.id, reason: problem.code } };
      }
    },
  });
}

/** The one charge for a purchase: the idempotency key makes concurrent and repeated attempts the same request. */
async function createCharge(stripe: Stripe, purchase: NewPurchase, customerId: string): Promise<Stripe.Charge> {
  const charge = await stripe.charges.create(
    {
      amount: purchase.amount,
      currency: purchase.currency,
      customer: customerId,
      description: `Paygraph purchase ${purchase.id}: ${purchase.description}`,
      metadata: { purchaseId: purchase.id, userId: purchase.user.id },
    },
    { idempotencyKey: `charge:${purchase.id}` },
  );
  return expectStripeObject(charge, 'charge');
}

/** The stored customer is gone at Stripe: retrying would fail the same way for days. */
function isMissingCustomer(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing' && error.param === 'customer';
}

/** Stripe refused the card, or the purchase itself (an amount under its minimum, an unknown currency): final either way. */
function refusal(error: unknown): CardProblem | null {
  const aboutPurchase =
    error instanceof Stripe.errors.StripeInvalidRequestError && (error.param === 'amount' || error.param === 'currency');
  return aboutPurchase ? { code: error.code ?? error.type, message: error.message } : cardProblem(error);
}
