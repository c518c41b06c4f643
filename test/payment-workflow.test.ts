import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentIntentsFor, startPaymentStack } from './support/payment-stack.js';
import { savedByService } from './support/payment-steps.js';
import { eventually } from '../packages/testing/eventually.js';

// The tutorial end to end: API + worker, the repository's callbacks.yml, both services and a
// Stripe-compatible server, all real HTTP on loopback.
describe('the Stripe payment workflow', () => {
  let stack: Awaited<ReturnType<typeof startPaymentStack>>;
  beforeAll(async () => {
    stack = await startPaymentStack();
  });
  afterAll(() => stack.stop());

  const addCard = async (user: { userId: string; token: string }, cardToken: string) => {
    const response = await stack.app.graphql(
      'mutation($u: ID!, $t: String!) { createCardDetails(cardToken: $t, userId: $u) { id } }',
      { u: user.userId, t: cardToken },
      user.token,
    );
    return response.data!.createCardDetails.id as string;
  };
  const buy = async (user: { userId: string; token: string }, amount: number) => {
    const response = await stack.app.graphql(
      'mutation($u: ID!, $a: Int!) { createPurchase(amount: $a, description: "A new laptop", isPaid: false, userId: $u) { id isPaid } }',
      { u: user.userId, a: amount },
      user.token,
    );
    expect(response.data!.createPurchase.isPaid).toBe(false);
    return response.data!.createPurchase.id as string;
  };
  const cardStatus = (id: string) =>
    eventually(() => stack.app.db.cardDetails.findUniqueOrThrow({ where: { id } }), savedByService);
  const purchaseOutcome = (id: string) =>
    eventually(
      () => stack.app.db.purchase.findUniqueOrThrow({ where: { id } }),
      (purchase) => purchase.status !== 'PENDING',
      20_000,
    );
  const stripeIdOf = async (userId: string) =>
    (await stack.app.db.user.findUniqueOrThrow({ where: { id: userId } })).stripeId;

  it('card, then purchase: the purchase is paid with one PaymentIntent of the right amount on the right customer', async () => {
    const user = await stack.app.signUp();
    const cardId = await addCard(user, 'tok_visa');
    expect((await cardStatus(cardId)).status).toBe('ACTIVE');
    const customerId = await stripeIdOf(user.userId);
    expect(customerId).toMatch(/^cus_/);
    const customer = (await stack.stripe.customers.retrieve(customerId!)) as {
      email: string;
      metadata: Record<string, string>;
    };
    expect(customer.metadata.userId).toBe(user.userId);

    const purchaseId = await buy(user, 50_000);
    const purchase = await purchaseOutcome(purchaseId);
    expect(purchase).toMatchObject({ isPaid: true, status: 'PAID', paidAt: expect.any(Date) });
    const intents = await paymentIntentsFor(stack.stripe, purchaseId);
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({
      id: purchase.stripePaymentIntentId,
      amount: 50_000,
      currency: 'usd',
      status: 'succeeded',
      customer: customerId,
      latest_charge: purchase.stripeChargeId,
    });
    expect(intents[0]!.metadata).toEqual({ purchaseId, userId: user.userId });

    const me = await stack.app.graphql(
      '{ me { cardDetails { status brand last4 } purchases { isPaid status stripeChargeId clientSecret } } }',
      {},
      user.token,
    );
    expect(me.data!.me.cardDetails).toEqual([{ status: 'ACTIVE', brand: 'visa', last4: '4242' }]);
    expect(me.data!.me.purchases).toEqual([
      { isPaid: true, status: 'PAID', stripeChargeId: purchase.stripeChargeId, clientSecret: null },
    ]);
  });

  it('a second card attaches to the same customer and becomes its default', async () => {
    const user = await stack.app.signUp();
    await cardStatus(await addCard(user, 'tok_visa'));
    const customerId = await stripeIdOf(user.userId);
    const second = await cardStatus(await addCard(user, 'pm_card_mastercard'));
    expect(second.status).toBe('ACTIVE');
    expect(await stripeIdOf(user.userId)).toBe(customerId);
    const customer = (await stack.stripe.customers.retrieve(customerId!)) as Stripe.Customer;
    expect(customer.invoice_settings.default_payment_method).toBe(second.stripePaymentMethodId);
  });

  it.each([
    ['tok_chargeDeclined', 'card_declined', /declined/],
    ['tok_chargeDeclinedInsufficientFunds', 'card_declined', /insufficient funds/],
    ['tok_chargeDeclinedExpiredCard', 'expired_card', /expired/],
    ['tok_chargeDeclinedIncorrectCvc', 'incorrect_cvc', /security code|cvc/i],
  ])(
    'a card Stripe refuses (%s) is REJECTED with its reason, and no customer id is written',
    async (token, code, message) => {
      const user = await stack.app.signUp();
      const card = await cardStatus(await addCard(user, token));
      expect(card).toMatchObject({
        status: 'REJECTED',
        failureCode: code,
        failureMessage: expect.stringMatching(message),
      });
      expect(await stripeIdOf(user.userId)).toBeNull();
    },
  );

  it('a charge Stripe declines ends FAILED with the reason, and isPaid stays false', async () => {
    const user = await stack.app.signUp();
    await cardStatus(await addCard(user, 'tok_chargeCustomerFail'));
    const purchaseId = await buy(user, 2_500);
    const purchase = await purchaseOutcome(purchaseId);
    expect(purchase).toMatchObject({
      isPaid: false,
      status: 'FAILED',
      failureCode: 'card_declined',
      stripeChargeId: null,
    });
    expect(
      (await paymentIntentsFor(stack.stripe, purchaseId)).filter((intent) => intent.status === 'succeeded'),
    ).toEqual([]);
    // The service settles the purchase before it answers, so the worker records the attempt a moment later.
    const delivery = await eventually(
      () => stack.app.db.callbackDelivery.findFirstOrThrow({ where: { nodeId: purchaseId } }),
      (row) => row.status !== 'PENDING',
    );
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: 1 });
  });

  it('no card at all: the purchase ends FAILED no_payment_method on the first attempt, nothing made at Stripe', async () => {
    const user = await stack.app.signUp();
    const purchaseId = await buy(user, 1_234);
    expect(await purchaseOutcome(purchaseId)).toMatchObject({
      status: 'FAILED',
      failureCode: 'no_payment_method',
      isPaid: false,
    });
    expect(await paymentIntentsFor(stack.stripe, purchaseId)).toEqual([]);
    // Not waited for, as a card still being saved is: the charge is settled by its first attempt.
    const delivery = await eventually(
      () => stack.app.db.callbackDelivery.findFirstOrThrow({ where: { nodeId: purchaseId } }),
      (row) => row.status !== 'PENDING',
    );
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: 1 });
  });

  it('card, then purchase at once: the charge waits for the card (409) and is woken when it is saved, then paid once', async () => {
    const user = await stack.app.signUp();
    await addCard(user, 'tok_visa');
    const purchaseId = await buy(user, 1_234);
    const purchase = await purchaseOutcome(purchaseId);
    expect(purchase.status).toBe('PAID');
    expect(await paymentIntentsFor(stack.stripe, purchaseId)).toHaveLength(1);
    // The service settles before it answers; the worker records the attempt a moment after.
    await eventually(
      () => stack.app.db.callbackDelivery.findFirstOrThrow({ where: { nodeId: purchaseId } }),
      (d) => d.status === 'DELIVERED',
    );
    const attempts = await stack.app.db.callbackAttempt.findMany({
      where: { delivery: { nodeId: purchaseId } },
      orderBy: { attempt: 'asc' },
    });
    expect(attempts.at(-1)).toMatchObject({ httpStatus: 200, outcome: 'delivered' });
    expect(attempts.slice(0, -1).every((attempt) => attempt.httpStatus === 409)).toBe(true);
  });

  it('Stripe down, then up: the purchase is paid after the retry', async () => {
    const user = await stack.app.signUp();
    await cardStatus(await addCard(user, 'tok_visa'));
    stack.stripeSwitch.down = true;
    const purchaseId = await buy(user, 777);
    const failed = await eventually(
      () => stack.app.db.callbackAttempt.findMany({ where: { delivery: { nodeId: purchaseId } } }),
      (attempts) => attempts.length >= 1,
    );
    expect(failed[0]).toMatchObject({ httpStatus: 503, outcome: 'retry' });
    stack.stripeSwitch.down = false;
    expect((await purchaseOutcome(purchaseId)).status).toBe('PAID');
    expect(await paymentIntentsFor(stack.stripe, purchaseId)).toHaveLength(1);
  });
});
