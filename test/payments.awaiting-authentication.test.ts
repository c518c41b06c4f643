import { authenticationPage } from '@paygraph/stripe-local';
import { afterEach, describe, expect, it } from 'vitest';
import { paymentIntentsFor } from './support/payment-stack.js';
import { paymentStackForSuite, type Shopper } from './support/payment-steps.js';
import { subscribe } from './support/sse.js';
import { eventually } from '../packages/testing/eventually.js';

// A purchase made while its user's only card waits for the owner's 3-D Secure (4000 0027 6000 3184, asked
// when saved) waits for it: not a failing callback, charged once the card is authenticated, FAILED
// card_authentication_abandoned when the authentication is canceled or the card removed.
describe('a purchase waiting for its card to be authenticated', () => {
  const suite = paymentStackForSuite();
  const streams: { close(): void }[] = [];
  afterEach(() => streams.splice(0).forEach((stream) => stream.close()));

  /** A purchase made before its user's only card is authenticated, once it says it waits, watched live. */
  const purchaseWaitingForAuthentication = async () => {
    const { stack, steps } = suite;
    const user: Shopper = await stack.app.signUp();
    const card = await steps.card(await steps.addCard(user, 'pm_card_authenticationRequired'));
    expect(card.status).toBe('REQUIRES_ACTION');
    const purchaseId = await steps.buy(user, 2_600);
    const live = await subscribe(
      `${stack.app.url}/graphql`,
      'subscription($id: ID!) { purchaseUpdated(id: $id) { status waitingFor failureCode } }',
      { id: purchaseId },
      user.token,
    );
    streams.push(live);
    await live.waitFor((event) => event.data?.purchaseUpdated?.waitingFor === 'CARD_AUTHENTICATION');
    return { user, card, purchaseId, live };
  };
  const chargeDelivery = (purchaseId: string) =>
    suite.stack.app.db.callbackDelivery.findFirstOrThrow({
      where: { nodeId: purchaseId, callback: 'chargePurchase' },
      include: { attemptLog: { orderBy: { attempt: 'asc' } } },
    });
  const waitingFor = async (purchaseId: string, token: string) =>
    (await suite.stack.app.graphql('query($id: ID!) { Purchase(id: $id) { waitingFor } }', { id: purchaseId }, token))
      .data?.Purchase?.waitingFor;

  it('shows waitingFor CARD_AUTHENTICATION while the charge waits, which the console does not call failing', async () => {
    const { stack } = suite;
    const { user, purchaseId } = await purchaseWaitingForAuthentication();
    expect(await waitingFor(purchaseId, user.token)).toBe('CARD_AUTHENTICATION');
    const delivery = await chargeDelivery(purchaseId);
    expect(delivery).toMatchObject({ status: 'PENDING' });
    expect(delivery.attemptLog.map((attempt) => [attempt.httpStatus, attempt.outcome])).toEqual([[409, 'waiting']]);
    // Parked until woken, its attempt not spent: nowhere near a backoff towards DEAD.
    expect(delivery.maxAttempts - delivery.attempts).toBeGreaterThanOrEqual(
      (await stack.app.db.callbackDelivery.findFirstOrThrow({ where: { callback: 'createStripeCustomer' } }))
        .maxAttempts,
    );
    expect(delivery.nextAttemptAt!.getTime() - Date.now()).toBeGreaterThan(30 * 60_000);
    const admin = await stack.app.accessToken('callbacks:admin');
    const answer = await stack.app.graphql('{ callbacks { name failingSince lastError } }', {}, admin);
    expect(answer.data!.callbacks).toContainEqual({ name: 'chargePurchase', failingSince: null, lastError: null });
    expect(await stack.app.db.callbackDelivery.count({ where: { trigger: { startsWith: 'CallbackDelivery.' } } })).toBe(
      0,
    );
  });

  it('authenticated: the charge proceeds at once (waitingFor null), and the purchase is paid once', async () => {
    const { stack, steps } = suite;
    const { user, card, purchaseId, live } = await purchaseWaitingForAuthentication();
    await steps.authenticate(await steps.setupPage(card.stripeSetupIntentId!), 'complete');
    // This bank asks again for every payment: the purchase now waits for the owner's payment, not the card.
    const charged = await steps.purchase(purchaseId, (status) => status === 'REQUIRES_ACTION');
    await live.waitFor((event) => event.data?.purchaseUpdated?.status === 'REQUIRES_ACTION');
    expect(live.events.at(-1)!.data!.purchaseUpdated).toMatchObject({ waitingFor: null });
    const confirmed = await stack.stripe.paymentIntents.confirm(charged.stripePaymentIntentId!, {
      payment_method: (await steps.card(card.id, (status) => status === 'ACTIVE')).stripePaymentMethodId!,
    });
    await steps.authenticate(authenticationPage(confirmed.next_action), 'complete');
    expect(await steps.purchase(purchaseId, (status) => status === 'PAID')).toMatchObject({ isPaid: true });
    expect(await waitingFor(purchaseId, user.token)).toBeNull();
    const succeeded = (await paymentIntentsFor(stack.stripe, purchaseId)).filter(
      (intent) => intent.status === 'succeeded',
    );
    expect(succeeded).toHaveLength(1);
    expect((await chargeDelivery(purchaseId)).status).toBe('DELIVERED');
  });

  it('its SetupIntent canceled instead: FAILED card_authentication_abandoned at once, nothing charged', async () => {
    const { stack, steps } = suite;
    const { user, card, purchaseId, live } = await purchaseWaitingForAuthentication();
    await stack.stripe.setupIntents.cancel(card.stripeSetupIntentId!);
    const failed = await steps.purchase(purchaseId);
    expect(failed).toMatchObject({ status: 'FAILED', isPaid: false, failureCode: 'card_authentication_abandoned' });
    expect(failed.failureMessage).toMatch(/3-D Secure authentication was abandoned/);
    await live.waitFor((event) => event.data?.purchaseUpdated?.failureCode === 'card_authentication_abandoned');
    expect(await waitingFor(purchaseId, user.token)).toBeNull();
    expect(await steps.card(card.id, (status) => status === 'REJECTED')).toMatchObject({
      failureCode: 'setup_intent_canceled',
    });
    // Its parked charge was woken to finish, and found nothing left to do.
    await eventually(
      () => chargeDelivery(purchaseId),
      (delivery) => delivery.status === 'DELIVERED',
    );
    expect(await paymentIntentsFor(stack.stripe, purchaseId)).toEqual([]);
  });

  it('the card removed instead: FAILED card_authentication_abandoned, nothing charged', async () => {
    const { stack, steps } = suite;
    const { user, card, purchaseId } = await purchaseWaitingForAuthentication();
    await stack.app.graphql('mutation($id: ID!) { deleteCardDetails(id: $id) { id } }', { id: card.id }, user.token);
    expect(await steps.purchase(purchaseId)).toMatchObject({
      status: 'FAILED',
      failureCode: 'card_authentication_abandoned',
    });
    expect(await paymentIntentsFor(stack.stripe, purchaseId)).toEqual([]);
  });
});
