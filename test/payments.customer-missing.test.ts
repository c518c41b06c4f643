import { describe, expect, it } from 'vitest';
import { eventually } from '../packages/testing/eventually.js';
import { paymentIntentsFor } from './support/payment-stack.js';
import { paymentStackForSuite } from './support/payment-steps.js';

// A customer Stripe no longer knows (deleted in the Dashboard; a local Stripe restarted empty) answers
// `resource_missing` (Stripe's "Error codes" page): the purchase ends FAILED customer_missing within
// seconds instead of being retried for days, and the next card makes a new customer.
describe('a customer or card Stripe no longer knows', () => {
  const suite = paymentStackForSuite();
  const stripeIdOf = async (userId: string) =>
    (await suite.stack.app.db.user.findUniqueOrThrow({ where: { id: userId } })).stripeId;

  it('deleted at Stripe: the purchase FAILED customer_missing within seconds, stripeId forgotten; a new card then pays', async () => {
    const { stack, steps } = suite;
    const user = await stack.app.signUp();
    const oldCard = await steps.card(await steps.addCard(user, 'tok_visa'));
    expect(oldCard.status).toBe('ACTIVE');
    const lost = (await stripeIdOf(user.userId))!;
    await stack.stripe.customers.del(lost);

    const boughtAt = Date.now();
    const failedId = await steps.buy(user, 1_500);
    const failed = await eventually(
      () => stack.app.db.purchase.findUniqueOrThrow({ where: { id: failedId } }),
      (row) => row.status !== 'PENDING',
      { timeoutMs: 10_000, what: 'the purchase settled within seconds' },
    );
    expect(Date.now() - boughtAt).toBeLessThan(10_000);
    expect(failed).toMatchObject({ status: 'FAILED', isPaid: false, failureCode: 'customer_missing' });
    expect(failed.failureMessage).toMatch(/nothing was charged/);
    expect(await stripeIdOf(user.userId)).toBeNull();
    // Its PaymentMethod went with the customer: never chosen for a charge again.
    expect(await steps.card(oldCard.id, (status) => status === 'DETACHED')).toMatchObject({
      failureCode: 'customer_missing',
    });
    expect((await paymentIntentsFor(stack.stripe, failedId)).filter((intent) => intent.status === 'succeeded')).toEqual(
      [],
    );

    const newCard = await steps.card(await steps.addCard(user, 'tok_visa'));
    expect(newCard.status).toBe('ACTIVE');
    const replacement = await stripeIdOf(user.userId);
    expect(replacement).toMatch(/^cus_/);
    expect(replacement).not.toBe(lost);
    const paidId = await steps.buy(user, 1_500);
    expect(await steps.purchase(paidId)).toMatchObject({ status: 'PAID', isPaid: true });
  });

  it("forgetStripePaymentMethod (charge-customer's token only): that card DETACHED, never charged again", async () => {
    const { stack, steps } = suite;
    const user = await stack.app.signUp();
    const card = await steps.card(await steps.addCard(user, 'tok_visa'));
    const forget = (token: string) =>
      stack.app.graphql(
        'mutation($id: ID!, $pm: String!) { forgetStripePaymentMethod(id: $id, stripePaymentMethodId: $pm) { id stripeId } }',
        { id: user.userId, pm: card.stripePaymentMethodId },
        token,
      );
    expect((await forget(await stack.app.accessToken('customers:write'))).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect(
      (await forget(await stack.app.accessToken('purchases:settle'))).data?.forgetStripePaymentMethod,
    ).toMatchObject({
      id: user.userId,
      stripeId: expect.stringMatching(/^cus_/),
    });
    expect(await steps.card(card.id, (status) => status === 'DETACHED')).toMatchObject({
      failureCode: 'payment_method_missing',
    });
    const purchaseId = await steps.buy(user, 1_500);
    expect(await steps.purchase(purchaseId)).toMatchObject({ status: 'FAILED', failureCode: 'no_payment_method' });
  });
});
