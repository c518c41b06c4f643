import { describe, expect, it } from 'vitest';
import { paymentIntentsFor } from './support/payment-stack.js';
import { paymentStackForSuite } from './support/payment-steps.js';
import { eventually } from '../packages/testing/eventually.js';

// The rule: deleting a card stops every charge not yet started; one already started (its PaymentIntent
// on the way) may still complete on it, and the delete's answer says which.
describe('deleting a card while a charge on it is in flight', () => {
  const suite = paymentStackForSuite();

  const IN_FLIGHT = 'query($id: ID!) { CardDetails(id: $id) { chargesInFlight { id } } }';
  const DELETE = 'mutation($id: ID!) { deleteCardDetails(id: $id) { id chargesInFlight { id status } } }';

  it('answers with the purchase whose charge had started, and charges nothing started after the delete to that card', async () => {
    const { stack, steps } = suite;
    const user = await stack.app.signUp();
    const cardId = await steps.addCard(user, 'tok_visa');
    expect((await steps.card(cardId)).status).toBe('ACTIVE');
    // Stripe is slow to answer the next PaymentIntent: the charge stays in flight for a while.
    await stack.stripe.rawRequest('POST', '/v1/test_helpers/stripe_local/faults', {
      count: 1,
      delay_ms: 3_000,
      path: '/v1/payment_intents',
    });
    const started = await steps.buy(user, 1_500);
    await eventually(
      () => stack.app.graphql(IN_FLIGHT, { id: cardId }, user.token),
      (answer) =>
        answer.data?.CardDetails?.chargesInFlight?.some((purchase: { id: string }) => purchase.id === started),
    );

    const deleted = await stack.app.graphql(DELETE, { id: cardId }, user.token);
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data!.deleteCardDetails).toEqual({
      id: cardId,
      chargesInFlight: [{ id: started, status: 'PENDING' }],
    });

    const after = await steps.buy(user, 2_500);
    const failed = await steps.purchase(after);
    expect(failed).toMatchObject({ status: 'FAILED', failureCode: 'no_payment_method', isPaid: false });
    expect(await paymentIntentsFor(stack.stripe, after)).toEqual([]);
    // The charge that had started ends one way or the other; it is not left pending.
    await steps.purchase(started);
  });

  it('a purchase already paid is not in flight: deleting the card answers with none', async () => {
    const { stack, steps } = suite;
    const user = await stack.app.signUp();
    const cardId = await steps.addCard(user, 'tok_visa');
    expect((await steps.card(cardId)).status).toBe('ACTIVE');
    const paid = await steps.buy(user, 900);
    expect((await steps.purchase(paid)).status).toBe('PAID');
    const deleted = await stack.app.graphql(DELETE, { id: cardId }, user.token);
    expect(deleted.data!.deleteCardDetails).toEqual({ id: cardId, chargesInFlight: [] });
  });
});
