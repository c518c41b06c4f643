import Stripe from 'stripe';

export interface CardProblem {
  /** Stripe's error code (card_declined, expired_card, incorrect_cvc, resource_missing ...). */
  code: string;
  /** Stripe's message, written for the cardholder ("Your card has insufficient funds."). */
  message: string;
}

/**
 * Whether Stripe refused the card itself: final, so the services record it and answer 2xx instead
 * of having the callback retried. Declines, expired cards and the like are card errors; a token that
 * does not exist or was already used is an invalid request about the `source` parameter.
 */
export function cardProblem(error: unknown): CardProblem | null {
  if (!(error instanceof Stripe.errors.StripeError)) return null;
  const code = error.code ?? error.type;
  // The SDK picks the class by HTTP status, so a card_error sent with 404 (no card to charge) is
  // an "invalid request" by class: the type Stripe sent is what counts.
  if (error instanceof Stripe.errors.StripeCardError || error.rawType === 'card_error')
    return { code, message: error.message };
  const badToken =
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    (error.code === 'token_already_used' || (error.code === 'resource_missing' && error.param === 'source'));
  return badToken ? { code, message: error.message } : null;
}
