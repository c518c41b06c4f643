import type { Logger } from 'pino';
import { callbackService, type Outcome } from '../lib/callback-service.js';
import { paygraphClient, type Paygraph } from '../lib/paygraph-client.js';
import { loadServiceEnv } from '../lib/service-env.js';
import { createStripe, isCardProblem, type Stripe } from '../lib/stripe-client.js';

/** The payload of `createStripeCustomer` in callbacks.yml. */
interface NewCardDetails {
  id: string;
  cardToken: string;
  user: { id: string; email: string; name: string; stripeId: string | null };
}

const SET_STRIPE_ID = 'mutation($id: ID!, $stripeId: String!) { updateUser(id: $id, stripeId: $stripeId) { id } }';
const SET_CARD_STATUS = `mutation($id: ID!, $status: CardStatus!, $code: String, $message: String) {
  updateCardDetails(id: $id, status: $status, failureCode: $code, failureMessage: $message) { id } }`;

/**
 * On CardDetails.created: makes sure the user has a Stripe customer, attaches the card as its
 * default source, and writes `stripeId` back. A card Stripe refuses marks the card details REJECTED.
 */
export function createCustomerHandler(deps: { stripe: Stripe; paygraph: Paygraph; signingSecret: string; logger?: Logger }) {
  const { stripe, paygraph } = deps;
  return callbackService<NewCardDetails>({
    name: 'create-customer',
    signingSecret: deps.signingSecret,
    logger: deps.logger,
    async handle({ data }): Promise<Outcome> {
      const card = data.createdNode;
      if (!card) return { status: 200, body: { skipped: 'the card details no longer exist' } };
      const { user } = card;
      try {
        // Keyed by user: two cards added at once still make one customer.
        const customerId =
          user.stripeId ??
          (await stripe.customers.create(
            { email: user.email, name: user.name, metadata: { userId: user.id } },
            { idempotencyKey: `customer:${user.id}` },
          )).id;
        const source = await stripe.customers.createSource(customerId, { source: card.cardToken }, { idempotencyKey: `card:${card.id}` });
        await stripe.customers.update(customerId, { default_source: source.id });
        if (user.stripeId !== customerId) await paygraph(SET_STRIPE_ID, { id: user.id, stripeId: customerId });
        await paygraph(SET_CARD_STATUS, { id: card.id, status: 'ACTIVE' });
        return { status: 200, body: { customer: customerId, card: card.id } };
      } catch (error) {
        if (!isCardProblem(error)) throw error;
        await paygraph(SET_CARD_STATUS, { id: card.id, status: 'REJECTED', code: error.code ?? error.type, message: error.message });
        return { status: 200, body: { rejected: card.id, reason: error.code } };
      }
    },
  });
}

/** `micro services/create-customer` style: the handler, configured from the environment. */
export default function handlerFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const config = loadServiceEnv('CREATE_CUSTOMER_TOKEN', 4001, env);
  return {
    port: config.PORT,
    handler: createCustomerHandler({
      stripe: createStripe(config.stripeSecretKey, config.STRIPE_API_URL),
      paygraph: paygraphClient(config.PAYGRAPH_API_URL, config.accessToken),
      signingSecret: config.CALLBACK_SIGNING_SECRET,
    }),
  };
}
