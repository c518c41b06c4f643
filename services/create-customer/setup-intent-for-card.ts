import { keysMayBeForgotten } from '../lib/stripe-idempotency.js';
import { expectStripeObject, type Stripe } from '../lib/stripe-client.js';

export interface CardToSave {
  id: string;
  cardToken: string;
  stripePaymentMethodId: string | null;
  stripeSetupIntentId: string | null;
  user: { id: string };
}

// A customer's SetupIntents are listed only once the keys may be forgotten; bounded, so a huge
// customer cannot stall a callback.
const LIST_LIMIT = 1_000;
const EXPANDED = ['payment_method'];

/**
 * The SetupIntent that saves this card, with its PaymentMethod: the one an earlier attempt made, else
 * a new one. Within Stripe's 24 hours the idempotency keys give back what was made; after them (a
 * redelivery days later, when a one-time `tok_` is spent) the card row's ids or the SetupIntent's
 * `metadata.cardDetailsId` find it, so the token is never used twice and no second card is saved.
 */
export async function setupIntentForCard(
  stripe: Stripe,
  customerId: string,
  card: CardToSave,
  since: Date,
  returnUrl: string,
  /** Set when customerId replaces a customer Stripe lost: the card's first key was used with that one. */
  replacing?: string,
): Promise<Stripe.SetupIntent> {
  const made = await madeBefore(stripe, customerId, card, since);
  if (made) return made;
  const paymentMethod =
    card.stripePaymentMethodId ??
    (card.cardToken.startsWith('tok_')
      ? expectStripeObject(
          await stripe.paymentMethods.create(
            {
              type: 'card',
              card: { token: card.cardToken },
              metadata: { cardDetailsId: card.id, userId: card.user.id },
            },
            { idempotencyKey: `payment-method:${card.id}` },
          ),
          'payment_method',
        ).id
      : card.cardToken);
  const setup = await stripe.setupIntents.create(
    {
      customer: customerId,
      payment_method: paymentMethod,
      confirm: true,
      // Stripe refuses to confirm an intent that allows redirects without a return_url; a saved card needs none.
      // (`payment_method_types`, the other way out, is no parameter of the SDK's pinned API version.)
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      // Where a bank's 3-D Secure page sends the cardholder back (next_action.redirect_to_url).
      return_url: returnUrl,
      usage: 'off_session',
      metadata: { cardDetailsId: card.id, userId: card.user.id },
      expand: EXPANDED,
    },
    { idempotencyKey: replacing ? `setup-card:${card.id}:${customerId}` : `setup-card:${card.id}` },
  );
  return expectStripeObject(setup, 'setup_intent');
}

async function madeBefore(
  stripe: Stripe,
  customerId: string,
  card: CardToSave,
  since: Date,
): Promise<Stripe.SetupIntent | null> {
  if (card.stripeSetupIntentId)
    return expectStripeObject(
      await stripe.setupIntents.retrieve(card.stripeSetupIntentId, { expand: EXPANDED }),
      'setup_intent',
    );
  if (!keysMayBeForgotten(since)) return null;
  return findSetupIntentOfCard(stripe, { customer: customerId }, card.id);
}

/** The SetupIntent that saves card `cardDetailsId`, among a customer's or a PaymentMethod's, by its `metadata.cardDetailsId`. */
export async function findSetupIntentOfCard(
  stripe: Stripe,
  among: { customer: string } | { payment_method: string },
  cardDetailsId: string,
): Promise<Stripe.SetupIntent | null> {
  let seen = 0;
  for await (const setup of stripe.setupIntents.list({
    ...among,
    limit: 100,
    expand: EXPANDED.map((field) => `data.${field}`),
  })) {
    if (setup.metadata?.cardDetailsId === cardDetailsId) return setup;
    if (++seen >= LIST_LIMIT) break;
  }
  return null;
}
