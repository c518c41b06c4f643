import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargesFor, startPaymentStack } from './support/payment-stack.js';
import { eventually } from './support/receiver.js';

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
    eventually(() => stack.app.db.cardDetails.findUniqueOrThrow({ where: { id } }), (card) => card.status !== 'PENDING');
  const purchaseOutcome = (id: string) =>
    eventually(() => stack.app.db.purchase.findUniqueOrThrow({ where: { id } }), (purchase) => purchase.status !== 'PENDING', 20_000);
  const stripeIdOf = async (userId: string) => (await stack.app.db.user.findUniqueOrThrow({ where: { id: userId } })).stripeId;

  it('card, then purchase: the purchase is paid with one charge of the right amount on the right customer', async () => {
    const user = await stack.app.signUp();
    const cardId = await addCard(user, 'tok_visa');
    expect((await cardStatus(cardId)).status).toBe('ACTIVE');
    const customerId = await stripeIdOf(user.userId);
    expect(customerId).toMatch(/^cus_/);
    const customer = (await stack.stripe.customers.retrieve(customerId!)) as { email: string; metadata: Record<string, string> };
    expect(customer.metadata.userId).toBe(user.userId);

    const purchaseId = await buy(user, 50_000);
    const purchase = await purchaseOutcome(purchaseId);
    expect(purchase).toMatchObject({ isPaid: true, status: 'PAID', paidAt: expect.any(Date) });
    const charges = await chargesFor(stack.stripe, purchaseId);
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ id: purchase.stripeChargeId, amount: 50_000, currency: 'usd', status: 'succeeded' });
    expect(charges[0]!.metadata).toEqual({ purchaseId, userId: user.userId });
    // The stand-in does not echo `customer` on charges, so the customer is checked on the card it charged.
    expect((charges[0]!.source as { customer?: string } | null)?.customer ?? customerId).toBe(customerId);

    const me = await stack.app.graphql('{ me { purchases { isPaid status stripeChargeId } } }', {}, user.token);
    expect(me.data!.me.purchases).toEqual([{ isPaid: true, status: 'PAID', stripeChargeId: purchase.stripeChargeId }]);
  });

  it('a second card attaches to the same customer and becomes its default', async () => {
    const user = await stack.app.signUp();
    await cardStatus(await addCard(user, 'tok_visa'));
    const customerId = await stripeIdOf(user.userId);
    expect((await cardStatus(await addCard(user, 'tok_mastercard'))).status).toBe('ACTIVE');
    expect(await stripeIdOf(user.userId)).toBe(customerId);
    const customer = (await stack.stripe.customers.retrieve(customerId!)) as { default_source: string };
    const source = await stack.stripe.customers.retrieveSource(customerId!, customer.default_source);
    expect((source as { brand?: string }).brand).toBe('MasterCard');
  });

  it.each([
    ['tok_chargeDeclined', 'card_declined', /declined/],
    ['tok_chargeDeclinedInsufficientFunds', 'card_declined', /insufficient funds/],
    ['tok_chargeDeclinedExpiredCard', 'expired_card', /expired/],
    ['tok_chargeDeclinedIncorrectCvc', 'incorrect_cvc', /security code|cvc/i],
  ])('a card Stripe refuses (%s) is REJECTED with its reason, and no customer id is written', async (token, code, message) => {
    const user = await stack.app.signUp();
    const card = await cardStatus(await addCard(user, token));
    expect(card).toMatchObject({ status: 'REJECTED', failureCode: code, failureMessage: expect.stringMatching(message) });
    expect(await stripeIdOf(user.userId)).toBeNull();
  });

  it('a charge Stripe declines ends FAILED with the reason, and isPaid stays false', async () => {
    const user = await stack.app.signUp();
    await cardStatus(await addCard(user, 'tok_chargeCustomerFail'));
    const purchaseId = await buy(user, 2_500);
    const purchase = await purchaseOutcome(purchaseId);
    expect(purchase).toMatchObject({ isPaid: false, status: 'FAILED', failureCode: 'card_declined', stripeChargeId: null });
    expect((await chargesFor(stack.stripe, purchaseId)).filter((charge) => charge.status === 'succeeded')).toEqual([]);
    // The service settles the purchase before it answers, so the worker records the attempt a moment later.
    const delivery = await eventually(
      () => stack.app.db.callbackDelivery.findFirstOrThrow({ where: { nodeId: purchaseId } }),
      (row) => row.status !== 'PENDING',
    );
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: 1 });
  });

  it('a purchase made before the customer exists is charged once the customer is there', async () => {
    const user = await stack.app.signUp();
    const purchaseId = await buy(user, 1_234);
    await eventually(() => stack.app.db.callbackDelivery.findFirstOrThrow({ where: { nodeId: purchaseId } }), (d) => d.attempts >= 1);
    expect((await stack.app.db.purchase.findUniqueOrThrow({ where: { id: purchaseId } })).status).toBe('PENDING');
    await addCard(user, 'tok_visa');
    const purchase = await purchaseOutcome(purchaseId);
    expect(purchase.status).toBe('PAID');
    expect(await chargesFor(stack.stripe, purchaseId)).toHaveLength(1);
    // The service settles before it answers; the worker records the attempt a moment after.
    await eventually(() => stack.app.db.callbackDelivery.findFirstOrThrow({ where: { nodeId: purchaseId } }), (d) => d.status === 'DELIVERED');
    const attempts = await stack.app.db.callbackAttempt.findMany({ where: { delivery: { nodeId: purchaseId } }, orderBy: { attempt: 'asc' } });
    expect(attempts[0]).toMatchObject({ httpStatus: 409, outcome: 'retry' });
    expect(attempts.at(-1)).toMatchObject({ httpStatus: 200, outcome: 'delivered' });
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
    expect(await chargesFor(stack.stripe, purchaseId)).toHaveLength(1);
  });
});
