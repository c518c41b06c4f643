import type { Logger } from 'pino';
import { createError } from 'micro';
import { callbackService, type Outcome } from '../lib/callback-service.js';
import { paygraphClient, type Paygraph } from '../lib/paygraph-client.js';
import { loadServiceEnv } from '../lib/service-env.js';
import { createStripe, isCardProblem, type Stripe } from '../lib/stripe-client.js';
import { findChargeForPurchase } from './find-charge.js';

/** The payload of `chargePurchase` in callbacks.yml. */
interface NewPurchase {
  id: string;
  amount: number;
  currency: string;
  description: string;
  isPaid: boolean;
  user: { id: string; stripeId: string | null };
}

const SETTLE = `mutation($id: ID!, $chargeId: String!) {
  updatePurchase(id: $id, isPaid: true, status: PAID, stripeChargeId: $chargeId) { id } }`;
const FAIL = `mutation($id: ID!, $code: String!, $message: String!) {
  updatePurchase(id: $id, status: FAILED, failureCode: $code, failureMessage: $message) { id } }`;

/**
 * On Purchase.created: charges the user's Stripe customer once, whatever happens, and settles the
 * purchase. The idempotency key is the purchase id; past Stripe's 24 hours of key memory, an existing
 * charge carrying the purchase id in its metadata is found and reused instead.
 */
export function chargeCustomerHandler(deps: { stripe: Stripe; paygraph: Paygraph; signingSecret: string; logger?: Logger }) {
  const { stripe, paygraph } = deps;
  return callbackService<NewPurchase>({
    name: 'charge-customer',
    signingSecret: deps.signingSecret,
    logger: deps.logger,
    async handle({ data, event }): Promise<Outcome> {
      const purchase = data.createdNode;
      if (!purchase) return { status: 200, body: { skipped: 'the purchase no longer exists' } };
      if (purchase.isPaid) return { status: 200, body: { skipped: 'already paid' } };
      const customer = purchase.user.stripeId;
      // 409 is retried: the customer is being created by create-customer and will be there soon.
      if (!customer) throw createError(409, 'The user has no Stripe customer yet', new Error('no stripeId'));
      try {
        const charge =
          (await findChargeForPurchase(stripe, purchase.id, new Date(event.createdAt))) ??
          (await stripe.charges.create(
            {
              amount: purchase.amount,
              currency: purchase.currency,
              customer,
              description: `Paygraph purchase ${purchase.id}: ${purchase.description}`.slice(0, 1000),
              metadata: { purchaseId: purchase.id, userId: purchase.user.id },
            },
            { idempotencyKey: `charge:${purchase.id}` },
          ));
        if (charge.status === 'failed') {
          await paygraph(FAIL, { id: purchase.id, code: charge.failure_code ?? 'charge_failed', message: charge.failure_message ?? 'The charge failed' });
          return { status: 200, body: { failed: purchase.id, charge: charge.id } };
        }
        await paygraph(SETTLE, { id: purchase.id, chargeId: charge.id });
        return { status: 200, body: { paid: purchase.id, charge: charge.id } };
      } catch (error) {
        if (!isCardProblem(error)) throw error;
        await paygraph(FAIL, { id: purchase.id, code: error.code ?? error.type, message: error.message });
        return { status: 200, body: { declined: purchase.id, reason: error.code } };
      }
    },
  });
}

export default function handlerFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const config = loadServiceEnv('CHARGE_CUSTOMER_TOKEN', 4002, env);
  return {
    port: config.PORT,
    handler: chargeCustomerHandler({
      stripe: createStripe(config.stripeSecretKey, config.STRIPE_API_URL),
      paygraph: paygraphClient(config.PAYGRAPH_API_URL, config.accessToken),
      signingSecret: config.CALLBACK_SIGNING_SECRET,
    }),
  };
}
