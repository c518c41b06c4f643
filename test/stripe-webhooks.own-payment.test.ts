import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripe } from '../services/lib/stripe-client.js';
import { startTestPaygraph } from './support/paygraph.js';
import { startPaymentStack, type PaymentStack } from './support/payment-stack.js';
import { savedByService } from './support/payment-steps.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver } from './support/receiver.js';

type User = { userId: string; token: string };

// The money boundary: a signed Stripe event pays a purchase only when it is the purchase's own
// payment. Each case of the audit (issue 23) is sent as Stripe (or the emulator) would send it.
describe("Stripe events: only the purchase's own payment pays it", () => {
  let stack: PaymentStack;
  let pager: Awaited<ReturnType<typeof startReceiver>>;
  let admin: string;
  beforeAll(async () => {
    pager = await startReceiver();
    stack = await startPaymentStack({
      env: { PAGER_URL: pager.url },
      extraCallbacks: `
  stripePager:
    trigger: StripeEvent.notApplied
    url: \${PAGER_URL}
    payload: "{ stripeEvent { id type outcome reason } type reason purchaseId }"
`,
    });
    admin = await stack.app.accessToken('callbacks:admin');
  });
  afterAll(async () => {
    await stack?.stop();
    await pager?.close();
  });

  /** A user whose card create-customer saved: a Stripe customer and a PaymentMethod of theirs. */
  const customerWithCard = async () => {
    const user: User = await stack.app.signUp();
    const { id } = (
      await stack.app.graphql(
        'mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }',
        { u: user.userId },
        user.token,
      )
    ).data!.createCardDetails;
    const card = await eventually(() => stack.app.db.cardDetails.findUniqueOrThrow({ where: { id } }), savedByService);
    const { stripeId } = await stack.app.db.user.findUniqueOrThrow({ where: { id: user.userId } });
    return { user, customer: stripeId!, paymentMethod: card.stripePaymentMethodId! };
  };
  /** A purchase charge-customer has not got to yet (written directly: no callback is queued for it). */
  const unpaidPurchase = (userId: string, amount: number, currency = 'usd') =>
    stack.app.db.purchase.create({ data: { amount, currency, description: 'Boat', userId } });
  const purchaseNow = (id: string) => stack.app.db.purchase.findUniqueOrThrow({ where: { id } });
  /** A real payment at the local Stripe, whose events the emulator sends to the API, signed. */
  const pay = (params: Stripe.PaymentIntentCreateParams, stripe = stack.stripe) =>
    stripe.paymentIntents.create({
      confirm: true,
      off_session: true,
      // As charge-customer pays: Stripe refuses a confirm that allows redirects without a return_url.
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      ...params,
    });
  const outcomeOf = (paymentIntentId: string, type = 'payment_intent.succeeded') =>
    eventually(
      () =>
        stack.app.db.stripeEvent.findFirst({
          where: { type, payload: { path: ['data', 'object', 'id'], equals: paymentIntentId } },
        }),
      (row) => row !== null && row.outcome !== null,
    ).then((row) => row!);
  const sendEvent = async (event: unknown, timestamp?: number) => {
    const payload = JSON.stringify(event);
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: stack.webhookSecret, timestamp });
    const response = await fetch(`${stack.app.url}/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body: payload,
    });
    return {
      status: response.status,
      body: (await response.json()) as { outcome?: string; reason?: string; code?: string },
    };
  };
  const eventFor = (type: string, object: object, extra: object = {}) => ({
    id: `evt_test_${Math.random().toString(36).slice(2)}`,
    object: 'event',
    type,
    livemode: false,
    created: Math.floor(Date.now() / 1000),
    data: { object },
    ...extra,
  });

  it('a payment of another amount, currency or customer that names the purchase in its metadata pays nothing; its own payment does', async () => {
    const { user, customer, paymentMethod } = await customerWithCard();
    const other = await customerWithCard();
    const boat = await unpaidPurchase(user.userId, 99_999_999);
    const metadata = { purchaseId: boat.id };

    const cheap = await pay({ amount: 50, currency: 'usd', customer, payment_method: paymentMethod, metadata });
    const yen = await pay({ amount: 99_999_999, currency: 'jpy', customer, payment_method: paymentMethod, metadata });
    const stranger = await pay({
      amount: 99_999_999,
      currency: 'usd',
      customer: other.customer,
      payment_method: other.paymentMethod,
      metadata,
    });
    expect(await outcomeOf(cheap.id)).toMatchObject({
      outcome: 'not applied',
      reason: expect.stringContaining("is of 50, not the purchase's 99999999"),
    });
    expect(await outcomeOf(yen.id)).toMatchObject({
      outcome: 'not applied',
      reason: expect.stringContaining("is in jpy, not the purchase's usd"),
    });
    expect(await outcomeOf(stranger.id)).toMatchObject({
      outcome: 'not applied',
      reason: expect.stringContaining(`for customer ${other.customer}, not the purchase owner's (${customer})`),
    });
    expect(await purchaseNow(boat.id)).toMatchObject({ isPaid: false, status: 'PENDING', stripePaymentIntentId: null });

    // Each refusal is paged, and listed for operators with its reason, also on the purchase's timeline.
    const pages = await eventually(
      async () => pager.received.filter((request) => request.body.data.purchaseId === boat.id),
      (found) => found.length === 3,
    );
    expect(pages.map((request) => request.body.data.stripeEvent.outcome)).toEqual([
      'not applied',
      'not applied',
      'not applied',
    ]);
    const listed = await stack.app.graphql('{ stripeEvents(notApplied: true, first: 100) { id reason } }', {}, admin);
    expect(listed.data!.stripeEvents.map((event: { reason: string }) => event.reason)).toEqual(
      expect.arrayContaining([expect.stringContaining('is of 50')]),
    );
    const timeline = await stack.app.graphql(
      'query($id: ID!) { purchaseTimeline(id: $id) { title status } }',
      { id: boat.id },
      admin,
    );
    expect(
      timeline.data!.purchaseTimeline.filter((entry: { status: string }) => entry.status === 'not applied'),
    ).toHaveLength(3);

    // The purchase's own payment, before charge-customer recorded it (its write-back lost), pays it.
    const own = await pay({ amount: 99_999_999, currency: 'usd', customer, payment_method: paymentMethod, metadata });
    expect(await outcomeOf(own.id)).toMatchObject({ outcome: 'applied', reason: null });
    expect(await purchaseNow(boat.id)).toMatchObject({ isPaid: true, status: 'PAID', stripePaymentIntentId: own.id });
    // Once it has its own PaymentIntent, no other can touch it.
    const late = await pay({ amount: 99_999_999, currency: 'usd', customer, payment_method: paymentMethod, metadata });
    expect(await outcomeOf(late.id)).toMatchObject({
      outcome: 'not applied',
      reason: expect.stringContaining(`is not the purchase's own (${own.id})`),
    });
  });

  it("a PaymentIntent made with another account's key, naming the purchase, pays nothing", async () => {
    const { user } = await customerWithCard();
    const boat = await unpaidPurchase(user.userId, 99_999_999);
    const attacker = createStripe('sk_test_someone_else', stack.stripeUrl);
    const intent = await attacker.paymentIntents.create({
      amount: 50,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      metadata: { purchaseId: boat.id },
    });
    expect(intent.status).toBe('succeeded');
    // What the emulator sent before it kept accounts apart, signed with the stack's secret, is refused too.
    const forwarded = await sendEvent(eventFor('payment_intent.succeeded', intent));
    expect(forwarded).toMatchObject({ status: 200, body: { outcome: 'not applied' } });
    expect(await purchaseNow(boat.id)).toMatchObject({ isPaid: false, status: 'PENDING' });
  });

  it("a signed event about the purchase's own PaymentIntent with another amount is not applied", async () => {
    const { user, customer, paymentMethod } = await customerWithCard();
    const boat = await unpaidPurchase(user.userId, 4_000);
    // Made and recorded as charge-customer would, still to be confirmed.
    const intent = await stack.stripe.paymentIntents.create({
      amount: 4_000,
      currency: 'usd',
      customer,
      payment_method: paymentMethod,
      metadata: { purchaseId: boat.id },
    });
    await stack.app.db.purchase.update({
      where: { id: boat.id },
      data: { stripePaymentIntentId: intent.id, status: 'PROCESSING' },
    });
    const forged = await sendEvent(
      eventFor('payment_intent.succeeded', { ...intent, status: 'succeeded', amount: 40, amount_received: 40 }),
    );
    expect(forged.body).toMatchObject({ outcome: 'not applied', reason: expect.stringContaining('is of 40') });
    const shortPaid = await sendEvent(
      eventFor('payment_intent.succeeded', { ...intent, status: 'succeeded', amount_received: 40 }),
    );
    expect(shortPaid.body).toMatchObject({ outcome: 'not applied', reason: expect.stringContaining('received 40') });
    expect(await purchaseNow(boat.id)).toMatchObject({ isPaid: false });
  });

  it('a charge.refunded that names a purchase only in metadata (no PaymentIntent, nothing refunded) changes nothing', async () => {
    const { user } = await customerWithCard();
    const boat = await unpaidPurchase(user.userId, 3_000);
    const charge = {
      id: 'ch_not_ours',
      object: 'charge',
      amount: 3_000,
      amount_refunded: 0,
      currency: 'usd',
      payment_intent: null,
      metadata: { purchaseId: boat.id },
    };
    expect((await sendEvent(eventFor('charge.refunded', charge))).body).toMatchObject({ outcome: 'ignored' });
    expect(await purchaseNow(boat.id)).toMatchObject({ isPaid: false, status: 'PENDING' });
  });

  it('a refund event of another amount or another payment does not move the refund Paygraph asked for', async () => {
    const { user, customer } = await customerWithCard();
    const boat = await unpaidPurchase(user.userId, 2_000);
    const intent = await pay({
      amount: 2_000,
      currency: 'usd',
      customer,
      payment_method: 'pm_card_pendingRefund',
      metadata: { purchaseId: boat.id },
    });
    await eventually(
      () => purchaseNow(boat.id),
      (row) => row.isPaid,
    );
    const refund = await stack.app.db.refund.create({ data: { purchaseId: boat.id, amount: 2_000 } });
    const object = {
      id: 're_forged',
      object: 'refund',
      amount: 2_000,
      currency: 'usd',
      status: 'succeeded',
      charge: null,
      payment_intent: intent.id,
      metadata: { refundId: refund.id },
    };
    expect((await sendEvent(eventFor('refund.updated', { ...object, amount: 1 }))).body).toMatchObject({
      outcome: 'not applied',
      reason: expect.stringContaining('not the 2000 asked for'),
    });
    expect(
      (await sendEvent(eventFor('refund.updated', { ...object, payment_intent: 'pi_elsewhere' }))).body,
    ).toMatchObject({ outcome: 'not applied', reason: expect.stringContaining("not of the purchase's payment") });
    expect(await stack.app.db.refund.findUniqueOrThrow({ where: { id: refund.id } })).toMatchObject({
      status: 'PENDING',
      stripeRefundId: null,
    });
    expect(await purchaseNow(boat.id)).toMatchObject({ amountRefunded: 0, status: 'PAID' });
  });

  it('an event of a connected account is not applied, however right its payment', async () => {
    const { user, customer, paymentMethod } = await customerWithCard();
    const boat = await unpaidPurchase(user.userId, 1_200);
    const intent = await pay({
      amount: 1_200,
      currency: 'usd',
      customer,
      payment_method: paymentMethod,
      metadata: { purchaseId: 'not-this-one' },
    });
    const object = { ...intent, metadata: { purchaseId: boat.id } };
    const answer = await sendEvent(eventFor('payment_intent.succeeded', object, { account: 'acct_1Connected' }));
    expect(answer.body).toMatchObject({
      outcome: 'not applied',
      reason: 'an event of connected account acct_1Connected',
    });
    expect(await purchaseNow(boat.id)).toMatchObject({ isPaid: false });
  });

  it('a signature dated in the future is refused as one from the past is', async () => {
    const event = eventFor('customer.created', { id: 'cus_future', object: 'customer' });
    const now = Math.floor(Date.now() / 1000);
    expect((await sendEvent(event, now + 3_600)).status).toBe(400);
    expect((await sendEvent(event, now + 301)).status).toBe(400);
    expect(await stack.app.db.stripeEvent.count({ where: { id: event.id } })).toBe(0);
    expect(await sendEvent(event, now + 60)).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
  });

  it('signed bodies of the wrong shape are 400 BAD_EVENT, recorded nowhere, and the endpoint still serves', async () => {
    const { user } = await customerWithCard();
    const boat = await unpaidPurchase(user.userId, 700);
    const intent = {
      id: 'pi_shape',
      object: 'payment_intent',
      amount: 700,
      currency: 'usd',
      customer: null,
      metadata: { purchaseId: boat.id },
    };
    const bodies = [
      [],
      'just a string',
      { ...eventFor('payment_intent.succeeded', intent), data: null },
      { ...eventFor('payment_intent.succeeded', intent), data: { object: null } },
      eventFor('payment_intent.succeeded', { ...intent, metadata: { purchaseId: { not: 'x' } } }),
      eventFor('payment_intent.succeeded', { ...intent, amount: '700' }),
      { ...eventFor('payment_intent.succeeded', intent), livemode: 'false' },
    ];
    for (const body of bodies)
      expect(await sendEvent(body)).toMatchObject({ status: 400, body: { code: 'BAD_EVENT' } });
    expect(
      await stack.app.db.stripeEvent.count({
        where: { payload: { path: ['data', 'object', 'id'], equals: 'pi_shape' } },
      }),
    ).toBe(0);
    expect(await purchaseNow(boat.id)).toMatchObject({ isPaid: false });
    expect((await sendEvent(eventFor('customer.created', { id: 'cus_after', object: 'customer' }))).status).toBe(200);
  });
});

describe('Stripe events of a Connect deployment (STRIPE_ACCOUNT_ID)', () => {
  it("applies its own connected account's events only", async () => {
    const secret = 'whsec_connect_deployment_test';
    const app = await startTestPaygraph({ env: { STRIPE_WEBHOOK_SECRET: secret, STRIPE_ACCOUNT_ID: 'acct_1Mine' } });
    try {
      const send = async (account?: string) => {
        const payload = JSON.stringify({
          id: `evt_${Math.random().toString(36).slice(2)}`,
          object: 'event',
          type: 'customer.created',
          livemode: false,
          created: Math.floor(Date.now() / 1000),
          data: { object: { id: 'cus_1', object: 'customer' } },
          ...(account && { account }),
        });
        const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
        return (
          await fetch(`${app.url}/stripe/webhook`, {
            method: 'POST',
            headers: { 'stripe-signature': header },
            body: payload,
          })
        ).json();
      };
      expect(await send('acct_1Mine')).toMatchObject({ outcome: 'ignored' });
      expect(await send('acct_1Other')).toMatchObject({
        outcome: 'not applied',
        reason: 'an event of account acct_1Other, while this deployment serves acct_1Mine',
      });
      expect(await send()).toMatchObject({
        outcome: 'not applied',
        reason: 'an event of the platform account, while this deployment serves acct_1Mine',
      });
    } finally {
      await app.stop();
    }
  });
});
