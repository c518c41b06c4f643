import { createError } from 'micro';
import { z } from 'zod';
import { cardProblem, type CardProblem } from '../lib/card-errors.js';
import { byPath, callbackService, type Outcome } from '../lib/callback-service.js';
import type { Paygraph } from '../lib/paygraph-client.js';
import type { ServiceDeps } from '../lib/service-env.js';
import { expectStripeObject, Stripe } from '../lib/stripe-client.js';
import { keysMayBeForgotten } from '../lib/stripe-idempotency.js';
import { customerExists, missingAtStripe } from '../lib/stripe-lost.js';
import { findPaymentIntentForPurchase } from './find-payment-intent.js';
import { refundHandler } from './refund.js';
import { tokenCheck } from './token-check.js';

/** `chargePurchase` in callbacks.yml. */
const newPurchase = z.object({
  id: z.string().min(1),
  amount: z.number().int().positive(),
  currency: z.string().length(3),
  description: z.string(),
  isPaid: z.boolean(),
  status: z.string(),
  // Where every delivery's work began, a manual trigger's days later too: Stripe's 24 hours count from it.
  // Optional for a callbacks.yml written before it was asked for: the event's time stands in, as it did.
  createdAt: z.iso.datetime().optional(),
  user: z.object({
    id: z.string().min(1),
    stripeId: z.string().nullable(),
    cardDetails: z.array(z.object({ status: z.string(), stripePaymentMethodId: z.string().nullable() })),
  }),
});
type NewPurchase = z.infer<typeof newPurchase>;

const SETTLE = `mutation($id: ID!, $status: PurchaseStatus!, $pi: String, $charge: String, $secret: String, $code: String, $message: String) {
  updatePurchase(id: $id, status: $status, stripePaymentIntentId: $pi, stripeChargeId: $charge, clientSecret: $secret,
    failureCode: $code, failureMessage: $message) { id } }`;
const NO_PAYMENT_METHOD: CardProblem = {
  code: 'no_payment_method',
  message: 'The user has no usable card: add one, then buy again',
};
const FORGET_CUSTOMER =
  'mutation($id: ID!, $stripeId: String!) { forgetStripeCustomer(id: $id, stripeId: $stripeId) { id } }';
const CUSTOMER_MISSING: CardProblem = {
  code: 'customer_missing',
  message:
    "Stripe no longer knows this user's customer or card (deleted at Stripe): nothing was charged; add a card, then buy again",
};
const FORGET_CARD = `mutation($id: ID!, $pm: String!) { forgetStripePaymentMethod(id: $id, stripePaymentMethodId: $pm) { id } }`;
const PAYMENT_METHOD_MISSING: CardProblem = {
  code: 'payment_method_missing',
  message: "Stripe no longer knows the user's card: nothing was charged; add the card again, then buy again",
};
// Being saved: the purchase waits for it (409), and the card's write-back wakes it at once.
const CARD_ON_ITS_WAY = new Set(['PENDING', 'REQUIRES_ACTION']);
const WAIT_FOR_AUTHENTICATION = `mutation($id: ID!) { updatePurchase(id: $id, waitingFor: CARD_AUTHENTICATION) { status } }`;
// docs/callbacks.md, "Waiting": the worker parks the delivery (not a failure) until the card's write-back wakes it.
const WAITING_FOR_AUTHENTICATION: Outcome = {
  status: 409,
  body: {
    code: 'waiting_for_authentication',
    message: "The user's card waits for its owner's 3-D Secure: charged as soon as it is done",
  },
};

/**
 * On Purchase.created: one off-session PaymentIntent per purchase on the user's newest active card,
 * never two, and the purchase settled with Stripe's answer: PAID, FAILED with Stripe's reason,
 * REQUIRES_ACTION (the owner finishes 3-D Secure; the outcome arrives by webhook) or PROCESSING.
 * With no usable card and none on its way, FAILED `no_payment_method` at once (unless an earlier
 * attempt's PaymentIntent turns up: then settled with it). At /refund, refunds.
 */
export function chargeCustomerHandler(deps: ServiceDeps) {
  const { stripe } = deps;
  const token = tokenCheck(deps.paygraph);
  // Every write-back also tells whether the token is still accepted.
  const paygraph: Paygraph = async <T>(query: string, variables: Record<string, unknown>) => {
    try {
      return await deps.paygraph<T>(query, variables);
    } catch (error) {
      token.distrust(error);
      throw error;
    }
  };
  const charge = callbackService({
    name: 'charge-customer',
    signingSecret: deps.signingSecret,
    logger: deps.logger,
    node: newPurchase,
    async handle(purchase, event): Promise<Outcome> {
      if (purchase.isPaid || purchase.status !== 'PENDING')
        return { status: 200, body: { skipped: purchase.isPaid ? 'already paid' : `already ${purchase.status}` } };
      const cards = purchase.user.cardDetails;
      const card = cards.filter((entry) => entry.status === 'ACTIVE' && entry.stripePaymentMethodId).at(-1);
      const waiting = cards.some((entry) => CARD_ON_ITS_WAY.has(entry.status));
      const purchasedAt = new Date(purchase.createdAt ?? event.createdAt);
      if (!card && !waiting) return failUnlessCharged(stripe, paygraph, purchase, purchasedAt, NO_PAYMENT_METHOD);
      const customerId = purchase.user.stripeId;
      // Only the owner can move a card that waits for 3-D Secure, maybe hours from now; create-customer saves a PENDING one in ms.
      if (!card && !cards.some((entry) => entry.status === 'PENDING'))
        return waitForAuthentication(paygraph, purchase.id);
      if (!card || !customerId)
        throw createError(
          409,
          "The user's card is still being saved; retried as soon as it is",
          new Error('card pending'),
        );
      // A refused token charges nothing: its write-back would be refused too.
      await token.ensure();
      let intent: Stripe.PaymentIntent;
      try {
        intent = await paymentIntentFor(stripe, purchase, customerId, card.stripePaymentMethodId!, purchasedAt);
      } catch (error) {
        const declined =
          error instanceof Stripe.errors.StripeError
            ? (error.payment_intent as Stripe.PaymentIntent | undefined)
            : undefined;
        if (declined?.id) intent = declined;
        else if (await lostCustomer(stripe, error, customerId)) {
          // Final, not retried: the next card saves to a new customer (docs/stripe.md).
          await paygraph(FORGET_CUSTOMER, { id: purchase.user.id, stripeId: customerId });
          return failUnlessCharged(stripe, paygraph, purchase, purchasedAt, CUSTOMER_MISSING);
        } else if (missingAtStripe(error) === 'payment_method') {
          await paygraph(FORGET_CARD, { id: purchase.user.id, pm: card.stripePaymentMethodId });
          return failUnlessCharged(stripe, paygraph, purchase, purchasedAt, PAYMENT_METHOD_MISSING);
        } else {
          const problem = refusal(error);
          if (!problem) throw error;
          return failUnlessCharged(stripe, paygraph, purchase, purchasedAt, problem);
        }
      }
      return settleWith(paygraph, purchase.id, intent);
    },
  });
  return byPath({ '/': charge, '/refund': refundHandler(deps) });
}

/**
 * The purchase's one PaymentIntent. Within Stripe's 24 hours (counted from the purchase, since a
 * manually triggered delivery is newer than what it repeats) the idempotency key alone makes a
 * repeated or concurrent attempt the same request, so no lookup is needed first (a search per charge
 * cost a Stripe request); the lookup runs once the key may be forgotten, and when the key was used
 * with other parameters (the newest card changed since an earlier attempt made one).
 */
async function paymentIntentFor(
  stripe: Stripe,
  purchase: NewPurchase,
  customerId: string,
  paymentMethodId: string,
  purchasedAt: Date,
): Promise<Stripe.PaymentIntent> {
  if (keysMayBeForgotten(purchasedAt)) {
    const earlier = await findPaymentIntentForPurchase(stripe, purchase, purchasedAt);
    if (earlier) return earlier;
  }
  try {
    return await createPaymentIntent(stripe, purchase, customerId, paymentMethodId);
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeIdempotencyError)) throw error;
    const earlier = await findPaymentIntentForPurchase(stripe, purchase, purchasedAt);
    // Not found yet (search lags behind writes at Stripe): answered 5xx by the thrown error, and retried.
    if (!earlier) throw error;
    return earlier;
  }
}

/** The one PaymentIntent of a purchase: the idempotency key makes concurrent and repeated attempts the same request. */
async function createPaymentIntent(
  stripe: Stripe,
  purchase: NewPurchase,
  customerId: string,
  paymentMethodId: string,
): Promise<Stripe.PaymentIntent> {
  const intent = await stripe.paymentIntents.create(
    {
      amount: purchase.amount,
      currency: purchase.currency,
      customer: customerId,
      payment_method: paymentMethodId,
      off_session: true,
      confirm: true,
      // Stripe refuses to confirm an intent that allows redirects without a return_url (`payment_method_types`,
      // the other way out, is no parameter of the SDK's pinned API version). Off session, 3-D Secure is the
      // authentication_required error, never a redirect, so no return_url is needed.
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      description: `Paygraph purchase ${purchase.id}: ${purchase.description}`,
      metadata: { purchaseId: purchase.id, userId: purchase.user.id },
    },
    { idempotencyKey: `payment-intent:${purchase.id}` },
  );
  return expectStripeObject(intent, 'payment_intent');
}

/** The purchase waits for its card's authentication; the API fails it instead once it has waited too long. */
async function waitForAuthentication(paygraph: Paygraph, purchaseId: string): Promise<Outcome> {
  const { updatePurchase } = await paygraph<{ updatePurchase: { status: string } }>(WAIT_FOR_AUTHENTICATION, {
    id: purchaseId,
  });
  if (updatePurchase.status === 'PENDING') return WAITING_FOR_AUTHENTICATION;
  return { status: 200, body: { settled: purchaseId, status: updatePurchase.status } };
}

/** Writes back what the PaymentIntent says; a state Stripe will still change is left to its webhook. */
async function settleWith(paygraph: Paygraph, purchaseId: string, intent: Stripe.PaymentIntent): Promise<Outcome> {
  const ids = { id: purchaseId, pi: intent.id };
  const error = intent.last_payment_error;
  const chargeId = typeof intent.latest_charge === 'string' ? intent.latest_charge : (intent.latest_charge?.id ?? null);
  if (intent.status === 'succeeded') {
    await paygraph(SETTLE, { ...ids, status: 'PAID', charge: chargeId });
    return { status: 200, body: { paid: purchaseId, paymentIntent: intent.id, charge: chargeId } };
  }
  if (intent.status === 'processing') {
    await paygraph(SETTLE, { ...ids, status: 'PROCESSING' });
    return { status: 200, body: { processing: purchaseId, paymentIntent: intent.id } };
  }
  if (intent.status === 'requires_action' || error?.code === 'authentication_required') {
    await paygraph(SETTLE, {
      ...ids,
      status: 'REQUIRES_ACTION',
      secret: intent.client_secret,
      code: error?.code ?? null,
      message: error?.message ?? null,
    });
    return { status: 200, body: { requiresAction: purchaseId, paymentIntent: intent.id } };
  }
  const code = error?.code ?? intent.status;
  await paygraph(SETTLE, {
    ...ids,
    status: 'FAILED',
    code,
    message: error?.message ?? `The PaymentIntent is ${intent.status}`,
  });
  return { status: 200, body: { failed: purchaseId, reason: code } };
}

/**
 * A failure no PaymentIntent gave. An earlier attempt (or delivery) may have charged and lost its
 * write-back before the card went away: that PaymentIntent settles the purchase instead, so money
 * taken is never recorded as a failure.
 */
async function failUnlessCharged(
  stripe: Stripe,
  paygraph: Paygraph,
  purchase: NewPurchase,
  purchasedAt: Date,
  problem: CardProblem,
): Promise<Outcome> {
  const purchaseId = purchase.id;
  const earlier = await findPaymentIntentForPurchase(stripe, purchase, purchasedAt, { exact: true });
  if (earlier) return settleWith(paygraph, purchaseId, earlier);
  await paygraph(SETTLE, { id: purchaseId, status: 'FAILED', code: problem.code, message: problem.message });
  return { status: 200, body: { failed: purchaseId, reason: problem.code } };
}

/** Stripe refused the card, or the purchase itself (an amount under its minimum, an unknown currency): final either way. */
function refusal(error: unknown): CardProblem | null {
  const aboutPurchase =
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    (error.param === 'amount' || error.param === 'currency');
  return aboutPurchase ? { code: error.code ?? error.type, message: error.message } : cardProblem(error);
}

/**
 * Stripe answered that it does not know the customer, or the card (a customer deleted in the Dashboard
 * or a local Stripe restarted empty loses both; which one is named first is Stripe's choice): whether
 * the customer itself is gone.
 */
async function lostCustomer(stripe: Stripe, error: unknown, customerId: string): Promise<boolean> {
  const missing = missingAtStripe(error);
  if (missing === 'customer') return true;
  return missing === 'payment_method' && !(await customerExists(stripe, customerId));
}
