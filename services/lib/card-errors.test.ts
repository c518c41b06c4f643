import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { cardProblem } from './card-errors.js';

const stripeError = (raw: Parameters<typeof Stripe.errors.StripeError.generate>[0]) =>
  Stripe.errors.StripeError.generate(raw);

describe('cardProblem: final refusals of the card itself', () => {
  it.each([
    [
      'a decline',
      stripeError({ statusCode: 402, type: 'card_error', code: 'card_declined', message: 'Your card was declined.' }),
      'card_declined',
    ],
    [
      'an expired card',
      stripeError({ statusCode: 402, type: 'card_error', code: 'expired_card', message: 'Your card has expired.' }),
      'expired_card',
    ],
    // Stripe's type decides, not the SDK's class, which follows the HTTP status.
    [
      'no card to charge (card_error sent as 404)',
      stripeError({
        statusCode: 404,
        type: 'card_error',
        code: 'missing',
        message: 'Cannot charge a customer that has no active card',
      }),
      'missing',
    ],
    [
      'an unknown token',
      stripeError({
        statusCode: 400,
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'source',
        message: "No such token: 'tok_x'",
      }),
      'resource_missing',
    ],
    [
      'a token used twice',
      stripeError({
        statusCode: 400,
        type: 'invalid_request_error',
        code: 'token_already_used',
        message: 'You cannot use a Stripe token more than once',
      }),
      'token_already_used',
    ],
  ])('%s', (_case, error, code) => {
    expect(cardProblem(error)).toEqual({ code, message: error.message });
  });

  it.each([
    [
      'a missing customer',
      stripeError({
        statusCode: 400,
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'customer',
        message: "No such customer: 'cus_x'",
      }),
    ],
    ['Stripe unreachable', new Stripe.errors.StripeConnectionError({ message: 'ECONNREFUSED' })],
    ['anything else', new Error('boom')],
  ])('not %s', (_case, error) => {
    expect(cardProblem(error)).toBeNull();
  });
});
