import { z } from 'zod';
import { callbackService, type Outcome } from '../lib/callback-service.js';
import type { ServiceDeps } from '../lib/service-env.js';
import { Stripe } from '../lib/stripe-client.js';

/** `detachCard` in callbacks.yml: { deletedNode { id stripePaymentMethodId } } */
const deletedCard = z.object({ id: z.string().min(1), stripePaymentMethodId: z.string().nullable() });

const isMissing = (error: unknown) => error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing';

/**
 * On CardDetails.deleted: the PaymentMethod is detached from the customer at Stripe, so nothing can
 * charge it again, and the customer's newest remaining card becomes its default.
 */
export function detachCardHandler(deps: ServiceDeps) {
  const { stripe } = deps;
  return callbackService({
    name: 'create-customer',
    signingSecret: deps.signingSecret,
    logger: deps.logger,
    node: deletedCard,
    nodeField: 'deletedNode',
    async handle(card): Promise<Outcome> {
      if (!card.stripePaymentMethodId) return { status: 200, body: { skipped: 'the card was never saved at Stripe' } };
      const method = await stripe.paymentMethods.retrieve(card.stripePaymentMethodId).catch((error: unknown) => {
        if (isMissing(error)) return null;
        throw error;
      });
      const customerId = typeof method?.customer === 'string' ? method.customer : (method?.customer?.id ?? null);
      if (!method || !customerId) return { status: 200, body: { skipped: 'already detached' } };
      await stripe.paymentMethods.detach(method.id);
      const remaining = await stripe.paymentMethods.list({ customer: customerId, type: 'card', limit: 100 });
      const newest = remaining.data.sort((a, b) => b.created - a.created)[0];
      await stripe.customers.update(customerId, { invoice_settings: { default_payment_method: newest?.id ?? '' } });
      return { status: 200, body: { detached: method.id, default: newest?.id ?? null } };
    },
  });
}
