import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentIntentsFor, startPaymentStack, type PaymentStack } from './support/payment-stack.js';
import { paymentSteps } from './support/payment-steps.js';
import { eventually } from '../packages/testing/eventually.js';

// Cards saved later (3-D Secure finished or failed after the card was added) and saved again (a
// redelivery after Stripe forgot its idempotency keys), end to end: API, worker, the repository's
// callbacks.yml, both services and the local Stripe with its webhook to /stripe/webhook.
describe('cards saved later, and saved again', () => {
  let stack: PaymentStack;
  let steps: ReturnType<typeof paymentSteps>;
  beforeAll(async () => {
    stack = await startPaymentStack();
    steps = paymentSteps(stack);
  });
  afterAll(() => stack?.stop());

  const chargeDelivery = (purchaseId: string) =>
    stack.app.db.callbackDelivery.findFirstOrThrow({ where: { nodeId: purchaseId, callback: 'chargePurchase' } });
  /** A purchase made while its user's only card waits for 3-D Secure, once its charge's next retry is well ahead. */
  const purchaseWaitingForCard = async () => {
    const user = await stack.app.signUp();
    const card = await steps.card(await steps.addCard(user, 'pm_card_authenticationRequiredOnSetup'));
    expect(card.status).toBe('REQUIRES_ACTION');
    const purchaseId = await steps.buy(user, 2_400);
    const waiting = await eventually(
      () => chargeDelivery(purchaseId),
      (delivery) => (delivery.nextAttemptAt?.getTime() ?? 0) - Date.now() > 2_500,
    );
    return { user, card, purchaseId, retryDue: waiting.nextAttemptAt! };
  };
  const lastAttemptOf = async (purchaseId: string) => {
    const delivery = await eventually(
      () => chargeDelivery(purchaseId),
      (row) => row.status !== 'PENDING',
    );
    return stack.app.db.callbackAttempt.findFirstOrThrow({
      where: { deliveryId: delivery.id },
      orderBy: { attempt: 'desc' },
    });
  };

  it("3-D Secure finished after the purchase: Stripe's event makes the card ACTIVE and the default, and the waiting purchase is paid before its retry was due", async () => {
    const { user, card, purchaseId, retryDue } = await purchaseWaitingForCard();
    await steps.authenticate(await steps.setupPage(card.stripeSetupIntentId!), 'complete');
    expect(await steps.card(card.id, (status) => status === 'ACTIVE')).toMatchObject({ setupClientSecret: null });
    expect(await steps.purchase(purchaseId)).toMatchObject({ status: 'PAID', isPaid: true });
    expect((await lastAttemptOf(purchaseId)).startedAt.getTime()).toBeLessThan(retryDue.getTime());
    const customerId = (await stack.app.db.user.findUniqueOrThrow({ where: { id: user.userId } })).stripeId!;
    await eventually(
      () => stack.stripe.customers.retrieve(customerId) as Promise<Stripe.Customer>,
      (customer) => customer.invoice_settings.default_payment_method === card.stripePaymentMethodId,
    );
    expect(
      (await paymentIntentsFor(stack.stripe, purchaseId)).filter((intent) => intent.status === 'succeeded'),
    ).toHaveLength(1);
  });

  it('3-D Secure failed: the card is REJECTED and the waiting purchase fails no_payment_method before its retry was due, nothing charged', async () => {
    const { card, purchaseId, retryDue } = await purchaseWaitingForCard();
    await steps.authenticate(await steps.setupPage(card.stripeSetupIntentId!), 'fail');
    expect(await steps.card(card.id, (status) => status === 'REJECTED')).toMatchObject({
      failureCode: 'setup_intent_authentication_failure',
    });
    expect(await steps.purchase(purchaseId)).toMatchObject({
      status: 'FAILED',
      failureCode: 'no_payment_method',
      isPaid: false,
    });
    expect((await lastAttemptOf(purchaseId)).startedAt.getTime()).toBeLessThan(retryDue.getTime());
    expect(await paymentIntentsFor(stack.stripe, purchaseId)).toEqual([]);
  });

  it('a card deleted while it waits for 3-D Secure: its SetupIntent is canceled, so the bank page still open cannot save it at Stripe', async () => {
    const user = await stack.app.signUp();
    const card = await steps.card(await steps.addCard(user, 'pm_card_authenticationRequiredOnSetup'));
    expect(card.status).toBe('REQUIRES_ACTION');
    const page = await steps.setupPage(card.stripeSetupIntentId!);
    await stack.app.graphql('mutation($id: ID!) { deleteCardDetails(id: $id) { id } }', { id: card.id }, user.token);
    await eventually(
      () => stack.app.db.callbackDelivery.findFirst({ where: { nodeId: card.id, callback: 'detachCard' } }),
      (row) => row?.status === 'DELIVERED',
    );
    expect(await stack.stripe.setupIntents.retrieve(card.stripeSetupIntentId!)).toMatchObject({ status: 'canceled' });
    const answer = await fetch(page, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'outcome=complete',
    });
    expect(answer.status).toBe(404);
    expect(await stack.stripe.paymentMethods.retrieve(card.stripePaymentMethodId!)).toMatchObject({ customer: null });
  });

  it('a one-time token, its card saved, redelivered by an operator after Stripe forgot the keys: the card stays ACTIVE and is saved once', async () => {
    const user = await stack.app.signUp();
    // A one-time token as Stripe.js makes it, from the number: raw card data on for this account (docs/testing).
    await stack.stripe.rawRequest('POST', '/v1/test_helpers/stripe_local/account/raw_card_data', { enabled: 'true' });
    const token = await stack.stripe.tokens.create({
      card: { number: '5555555555554444', exp_month: '12', exp_year: '2040', cvc: '123' },
    });
    const cardId = await steps.addCard(user, token.id);
    // Stripe's setup_intent.succeeded may make the card ACTIVE a moment before create-customer writes what it shows.
    const saved = await eventually(
      () => stack.app.db.cardDetails.findUniqueOrThrow({ where: { id: cardId } }),
      (row) => row.last4 !== null,
    );
    expect(saved).toMatchObject({ status: 'ACTIVE', last4: '4444' });
    await stack.stripe.rawRequest('POST', '/v1/test_helpers/stripe_local/clock/advance', { seconds: 25 * 3_600 });
    const delivery = await stack.app.db.callbackDelivery.findFirstOrThrow({
      where: { nodeId: saved.id, callback: 'createStripeCustomer' },
    });
    const admin = await stack.app.accessToken('callbacks:admin');
    await stack.app.graphql('mutation($id: ID!) { redeliverCallback(id: $id) { id } }', { id: delivery.id }, admin);
    const redelivered = await eventually(
      () => stack.app.db.callbackDelivery.findUniqueOrThrow({ where: { id: delivery.id } }),
      (row) => row.status === 'DELIVERED' && row.attempts === 2,
    );
    expect(redelivered.attempts).toBe(2);
    expect(await stack.app.db.cardDetails.findUniqueOrThrow({ where: { id: saved.id } })).toMatchObject({
      status: 'ACTIVE',
      stripePaymentMethodId: saved.stripePaymentMethodId,
    });
    const customerId = (await stack.app.db.user.findUniqueOrThrow({ where: { id: user.userId } })).stripeId!;
    expect(
      (await stack.stripe.paymentMethods.list({ customer: customerId, type: 'card' })).data.map((method) => method.id),
    ).toEqual([saved.stripePaymentMethodId]);
  });
});
