import { authenticationPage } from '@paygraph/stripe-local';
import pg from 'pg';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { untilSomeoneWaitsForALock } from './support/database.js';
import { codesOf } from './support/paygraph.js';
import { customersOfUser } from '../packages/testing/stripe-lookups.js';
import { paymentIntentsFor, startPaymentStack } from './support/payment-stack.js';
import { savedByService } from './support/payment-steps.js';
import { eventually } from '../packages/testing/eventually.js';

type User = { userId: string; token: string };

// Stripe's side of the workflow end to end: its events at POST /stripe/webhook, 3-D Secure through
// the emulator's own page, deleted cards, refunds; objects counted at the local Stripe.
describe('Stripe events, authentication, deleted cards and refunds', () => {
  let stack: Awaited<ReturnType<typeof startPaymentStack>>;
  let refunder: string;
  let admin: string;
  beforeAll(async () => {
    stack = await startPaymentStack();
    refunder = await stack.app.accessToken('purchases:refund');
    admin = await stack.app.accessToken('callbacks:admin');
  });
  afterAll(() => stack.stop());

  const addCard = async (user: User, cardToken: string) =>
    (
      await stack.app.graphql(
        'mutation($u: ID!, $t: String!) { createCardDetails(cardToken: $t, userId: $u) { id } }',
        { u: user.userId, t: cardToken },
        user.token,
      )
    ).data!.createCardDetails.id as string;
  const buy = async (user: User, amount: number) =>
    (
      await stack.app.graphql(
        'mutation($u: ID!, $a: Int!) { createPurchase(amount: $a, description: "Shoes", userId: $u) { id } }',
        { u: user.userId, a: amount },
        user.token,
      )
    ).data!.createPurchase.id as string;
  const card = (id: string, done?: (status: string) => boolean) =>
    eventually(
      () => stack.app.db.cardDetails.findUniqueOrThrow({ where: { id } }),
      (row) => (done ? done(row.status) : savedByService(row)),
    );
  const purchase = (id: string, done: (status: string) => boolean = (status) => status !== 'PENDING') =>
    eventually(
      () => stack.app.db.purchase.findUniqueOrThrow({ where: { id } }),
      (row) => done(row.status),
      20_000,
    );
  const paidPurchase = async (amount = 5_000) => {
    const user = await stack.app.signUp();
    await card(await addCard(user, 'tok_visa'));
    return { user, purchase: await purchase(await buy(user, amount)) };
  };
  /** The cardholder on the emulator's 3-D Secure page. */
  const authenticate = async (url: string, outcome: 'complete' | 'fail') => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `outcome=${outcome}`,
    });
    expect(response.status).toBe(200);
  };
  /** POSTs an event to the API as Stripe would, signed with `secret` at `timestamp`. */
  const sendEvent = async (event: object, options: { secret?: string; timestamp?: number } = {}) => {
    const payload = JSON.stringify(event);
    const header = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: options.secret ?? stack.webhookSecret,
      timestamp: options.timestamp,
    });
    const response = await fetch(`${stack.app.url}/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body: payload,
    });
    return response.status;
  };
  const eventFor = (type: string, object: object, livemode = false) => ({
    id: `evt_test_${Math.random().toString(36).slice(2)}`,
    object: 'event',
    type,
    livemode,
    created: Math.floor(Date.now() / 1000),
    data: { object },
  });
  const failedIntent = async (intentId: string) => ({
    ...(await stack.stripe.paymentIntents.retrieve(intentId)),
    status: 'requires_payment_method',
    last_payment_error: { code: 'card_declined', message: 'Your card was declined.' },
  });

  it('3-D Secure on saving and on paying: finished through the emulator page, settled by webhook, one succeeded PaymentIntent', async () => {
    const user = await stack.app.signUp();
    const saved = await card(await addCard(user, 'pm_card_authenticationRequired'));
    expect(saved).toMatchObject({ status: 'REQUIRES_ACTION', setupClientSecret: expect.stringContaining('_secret_') });
    // The SetupIntent's client secret is the owner's alone, as the PaymentIntent's is.
    const own = await stack.app.graphql('{ me { cardDetails { setupClientSecret } } }', {}, user.token);
    expect(own.data!.me.cardDetails).toEqual([{ setupClientSecret: saved.setupClientSecret }]);
    const reader = await stack.app.accessToken('nodes:read');
    expect(
      codesOf(
        await stack.app.graphql(
          'query($id: ID!) { CardDetails(id: $id) { setupClientSecret } }',
          { id: saved.id },
          reader,
        ),
      ),
    ).toEqual(['FORBIDDEN']);
    const setup = await stack.stripe.setupIntents.retrieve(saved.stripeSetupIntentId!);
    await authenticate(authenticationPage(setup.next_action), 'complete');
    expect(await card(saved.id, (status) => status === 'ACTIVE')).toMatchObject({ setupClientSecret: null });

    const purchaseId = await buy(user, 4_200);
    const waiting = await purchase(purchaseId);
    expect(waiting).toMatchObject({
      status: 'REQUIRES_ACTION',
      isPaid: false,
      clientSecret: expect.stringContaining('_secret_'),
      failureCode: 'authentication_required',
    });
    const mine = await stack.app.graphql('{ me { purchases { clientSecret } } }', {}, user.token);
    expect(mine.data!.me.purchases[0].clientSecret).toBe(waiting.clientSecret);
    // What Stripe.js does with the client secret: confirm on-session, then the bank's page.
    const confirmed = await stack.stripe.paymentIntents.confirm(waiting.stripePaymentIntentId!, {
      payment_method: saved.stripePaymentMethodId!,
    });
    // Without a return_url Stripe hands 3-D Secure to Stripe.js (api/payment_intents/object), no redirect.
    expect(confirmed.next_action?.type).toBe('use_stripe_sdk');
    await authenticate(authenticationPage(confirmed.next_action), 'complete');
    expect(await purchase(purchaseId, (status) => status === 'PAID')).toMatchObject({
      isPaid: true,
      clientSecret: null,
    });
    expect(
      (await paymentIntentsFor(stack.stripe, purchaseId)).filter((intent) => intent.status === 'succeeded'),
    ).toHaveLength(1);
  });

  it('only the owner reads a client secret', async () => {
    const { purchase: paid } = await paidPurchase();
    const reader = await stack.app.accessToken('nodes:read');
    const answer = await stack.app.graphql(
      'query($id: ID!) { Purchase(id: $id) { clientSecret } }',
      { id: paid.id },
      reader,
    );
    expect(codesOf(answer)).toEqual(['FORBIDDEN']);
  });

  it('a forged and a stale event are 400 and change nothing; a replayed event id changes nothing', async () => {
    const { purchase: paid } = await paidPurchase();
    const refunded = eventFor('charge.refunded', {
      ...(await stack.stripe.charges.retrieve(paid.stripeChargeId!)),
      amount_refunded: 100,
    });
    expect(await sendEvent(refunded, { secret: 'whsec_forged' })).toBe(400);
    expect(await sendEvent(refunded, { timestamp: Math.floor(Date.now() / 1000) - 301 })).toBe(400);
    expect(await stack.app.db.stripeEvent.count({ where: { id: refunded.id } })).toBe(0);
    const again = { ...refunded, data: { object: { ...refunded.data.object, amount_refunded: 300 } } };
    expect(await sendEvent(refunded)).toBe(200);
    expect(await sendEvent(again)).toBe(200);
    expect(await stack.app.db.purchase.findUniqueOrThrow({ where: { id: paid.id } })).toMatchObject({
      amountRefunded: 100,
      status: 'PARTIALLY_REFUNDED',
    });
  });

  it('out of order: a payment_failed after succeeded never unpays', async () => {
    const { purchase: paid } = await paidPurchase();
    expect(
      await sendEvent(eventFor('payment_intent.payment_failed', await failedIntent(paid.stripePaymentIntentId!))),
    ).toBe(200);
    expect(await stack.app.db.purchase.findUniqueOrThrow({ where: { id: paid.id } })).toMatchObject({
      status: 'PAID',
      isPaid: true,
      failureCode: null,
    });
  });

  it('the write-back lost: the payment_intent.succeeded webhook alone settles the purchase', async () => {
    const user = await stack.app.signUp();
    const saved = await card(await addCard(user, 'tok_visa'));
    const toggle = (enabled: boolean) =>
      stack.app.graphql(
        'mutation($e: Boolean!) { setCallbackEnabled(name: "chargePurchase", enabled: $e) { name } }',
        { e: enabled },
        admin,
      );
    await toggle(false);
    const purchaseId = await buy(user, 3_000);
    try {
      // As if charge-customer charged and died before writing back.
      const customer = (await stack.app.db.user.findUniqueOrThrow({ where: { id: user.userId } })).stripeId!;
      await stack.stripe.paymentIntents.create(
        {
          amount: 3_000,
          currency: 'usd',
          customer,
          payment_method: saved.stripePaymentMethodId!,
          off_session: true,
          confirm: true,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          metadata: { purchaseId, userId: user.userId },
        },
        { idempotencyKey: `payment-intent:${purchaseId}` },
      );
      expect(await purchase(purchaseId)).toMatchObject({ status: 'PAID', isPaid: true });
    } finally {
      await toggle(true);
    }
    expect(await paymentIntentsFor(stack.stripe, purchaseId)).toHaveLength(1);
  });

  it("Stripe's events before the write-back names the PaymentIntent (a dispute opened at once): held, then applied when it does", async () => {
    const user = await stack.app.signUp();
    await card(await addCard(user, 'tok_visa'));
    const toggle = (enabled: boolean) =>
      stack.app.graphql(
        'mutation($e: Boolean!) { setCallbackEnabled(name: "chargePurchase", enabled: $e) { name } }',
        { e: enabled },
        admin,
      );
    await toggle(false);
    try {
      const purchaseId = await buy(user, 2_500);
      // Charged as charge-customer would, but its events carry nothing that names the purchase.
      const intent = await stack.stripe.paymentIntents.create({
        amount: 2_500,
        currency: 'usd',
        payment_method: 'pm_card_createDispute',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      });
      await eventually(
        () => stack.app.db.stripeEvent.findMany({ where: { heldForPaymentIntent: intent.id } }),
        (held) => held.length >= 2,
      );
      expect(await stack.app.db.purchase.findUniqueOrThrow({ where: { id: purchaseId } })).toMatchObject({
        status: 'PENDING',
      });
      const settler = await stack.app.accessToken('purchases:settle');
      const settled = await stack.app.graphql(
        'mutation($id: ID!, $pi: String!, $ch: String!) { updatePurchase(id: $id, status: PAID, stripePaymentIntentId: $pi, stripeChargeId: $ch) { status disputeStatus } }',
        { id: purchaseId, pi: intent.id, ch: intent.latest_charge },
        settler,
      );
      expect(settled.data!.updatePurchase).toEqual({ status: 'DISPUTED', disputeStatus: 'needs_response' });
      expect(await stack.app.db.stripeEvent.count({ where: { heldForPaymentIntent: intent.id } })).toBe(0);
    } finally {
      await toggle(true);
    }
  });

  it("setup_intent.succeeded before create-customer's write-back: the card is ACTIVE and its owner has the customer too", async () => {
    const user = await stack.app.signUp();
    // A card create-customer has not got to yet (written directly: no callback is queued for it).
    const pending = await stack.app.db.cardDetails.create({ data: { cardToken: 'tok_visa', userId: user.userId } });
    const intent = {
      id: 'seti_early',
      object: 'setup_intent',
      customer: 'cus_early',
      payment_method: 'pm_early',
      metadata: { cardDetailsId: pending.id },
    };
    expect(await sendEvent(eventFor('setup_intent.succeeded', intent))).toBe(200);
    expect(await stack.app.db.cardDetails.findUniqueOrThrow({ where: { id: pending.id } })).toMatchObject({
      status: 'ACTIVE',
      stripePaymentMethodId: 'pm_early',
    });
    expect((await stack.app.db.user.findUniqueOrThrow({ where: { id: user.userId } })).stripeId).toBe('cus_early');

    // A user who has a customer keeps it, and a card saved for another customer is not theirs to charge.
    const second = await stack.app.db.cardDetails.create({ data: { cardToken: 'tok_visa', userId: user.userId } });
    const other = {
      ...intent,
      id: 'seti_other',
      customer: 'cus_other',
      payment_method: 'pm_other',
      metadata: { cardDetailsId: second.id },
    };
    expect(await sendEvent(eventFor('setup_intent.succeeded', other))).toBe(200);
    expect((await stack.app.db.cardDetails.findUniqueOrThrow({ where: { id: second.id } })).status).toBe('PENDING');
    expect((await stack.app.db.user.findUniqueOrThrow({ where: { id: user.userId } })).stripeId).toBe('cus_early');
    const own = { ...other, id: 'seti_own', customer: 'cus_early', payment_method: 'pm_own' };
    expect(await sendEvent(eventFor('setup_intent.succeeded', own))).toBe(200);
    expect((await stack.app.db.cardDetails.findUniqueOrThrow({ where: { id: second.id } })).status).toBe('ACTIVE');
  });

  it("setup_intent.succeeded takes the card before the charges it wakes, as create-customer's write-back does, so the two never deadlock", async () => {
    const user = await stack.app.signUp();
    const pending = await stack.app.db.cardDetails.create({ data: { cardToken: 'tok_visa', userId: user.userId } });
    // A charge waiting for that card: charge-customer answered 409, its retry is pending.
    const purchaseId = await buy(user, 700);
    await eventually(
      () => stack.app.db.callbackDelivery.findFirstOrThrow({ where: { nodeId: purchaseId } }),
      (row) => row.attempts >= 1 && row.status === 'PENDING',
    );
    // create-customer's card write-back, half done: the card is written, the charges are next.
    const writeBack = new pg.Client({ connectionString: stack.app.databaseUrl });
    await writeBack.connect();
    try {
      await writeBack.query('begin');
      await writeBack.query('update "CardDetails" set "updatedAt" = now() where id = $1', [pending.id]);
      const intent = {
        id: 'seti_order',
        object: 'setup_intent',
        customer: 'cus_order',
        payment_method: 'pm_order',
        metadata: { cardDetailsId: pending.id },
      };
      const event = sendEvent(eventFor('setup_intent.succeeded', intent));
      await untilSomeoneWaitsForALock(stack.app.databaseUrl);
      // The event waits for the card holding nothing the write-back needs next.
      await writeBack.query("set local lock_timeout = '2s'");
      await writeBack.query('select id from callback_delivery where node_id = $1 for update', [purchaseId]);
      await writeBack.query('commit');
      expect(await event).toBe(200);
    } finally {
      await writeBack.end();
    }
    expect((await stack.app.db.cardDetails.findUniqueOrThrow({ where: { id: pending.id } })).status).toBe('ACTIVE');
  });

  it('a deleted card is detached at Stripe and never charged: the purchase fails no_payment_method', async () => {
    const user = await stack.app.signUp();
    const saved = await card(await addCard(user, 'tok_visa'));
    await stack.app.graphql('mutation($id: ID!) { deleteCardDetails(id: $id) { id } }', { id: saved.id }, user.token);
    await eventually(
      () => stack.stripe.paymentMethods.retrieve(saved.stripePaymentMethodId!),
      (method) => method.customer === null,
    );
    const purchaseId = await buy(user, 900);
    expect(await purchase(purchaseId)).toMatchObject({ status: 'FAILED', failureCode: 'no_payment_method' });
    expect(await paymentIntentsFor(stack.stripe, purchaseId)).toEqual([]);
  });

  it('deleting the newest card makes the remaining one the default, and it is the one charged', async () => {
    const user = await stack.app.signUp();
    const first = await card(await addCard(user, 'tok_visa'));
    const second = await card(await addCard(user, 'tok_mastercard'));
    await stack.app.graphql('mutation($id: ID!) { deleteCardDetails(id: $id) { id } }', { id: second.id }, user.token);
    const customerId =
      first.userId && (await stack.app.db.user.findUniqueOrThrow({ where: { id: user.userId } })).stripeId!;
    await eventually(
      () => stack.stripe.customers.retrieve(customerId) as Promise<Stripe.Customer>,
      (c) => c.invoice_settings.default_payment_method === first.stripePaymentMethodId,
    );
    const paid = await purchase(await buy(user, 1_500));
    expect(paid.status).toBe('PAID');
    expect((await stack.stripe.paymentIntents.retrieve(paid.stripePaymentIntentId!)).payment_method).toBe(
      first.stripePaymentMethodId,
    );
  });

  it('concurrent first cards make one Stripe customer', async () => {
    const user = await stack.app.signUp();
    const ids = await Promise.all([addCard(user, 'tok_visa'), addCard(user, 'tok_mastercard')]);
    await Promise.all(ids.map((id) => card(id)));
    expect(await customersOfUser(stack.stripe, user.userId)).toHaveLength(1);
  });

  it('partial refunds add up to a full one, never more than was paid, each made once at Stripe', async () => {
    const { user: owner, purchase: paid } = await paidPurchase(5_000);
    const refund = (args: string) =>
      stack.app.graphql(
        `mutation($id: ID!) { refundPurchase(id: $id${args}) { id amount } }`,
        { id: paid.id },
        refunder,
      );
    expect(codesOf(await refund(', amount: 6000'))).toEqual(['BAD_USER_INPUT']);
    expect((await refund(', amount: 2000, reason: "requested_by_customer"')).data!.refundPurchase.amount).toBe(2_000);
    expect(await purchase(paid.id, (status) => status === 'PARTIALLY_REFUNDED')).toMatchObject({
      amountRefunded: 2_000,
      isPaid: true,
    });
    expect((await refund('')).data!.refundPurchase.amount).toBe(3_000);
    expect(await purchase(paid.id, (status) => status === 'REFUNDED')).toMatchObject({
      amountRefunded: 5_000,
      isPaid: true,
    });
    expect(codesOf(await refund(''))).toEqual(['CONFLICT']);
    const atStripe = await stack.stripe.refunds.list({ payment_intent: paid.stripePaymentIntentId! });
    expect(atStripe.data.map((made) => made.amount).sort()).toEqual([2_000, 3_000]);
    // Its owner sees the purchase's refunds, each with Stripe's refund.
    const shown = await stack.app.graphql(
      'query($id: ID!) { Purchase(id: $id) { refunds { amount status stripeRefundId } } }',
      { id: paid.id },
      owner.token,
    );
    const byId = new Map(atStripe.data.map((made) => [made.id, made.amount]));
    expect(
      shown.data!.Purchase.refunds.map((entry: { amount: number; status: string; stripeRefundId: string }) => [
        entry.amount,
        entry.status,
        byId.get(entry.stripeRefundId),
      ]),
    ).toEqual([
      [2_000, 'SUCCEEDED', 2_000],
      [3_000, 'SUCCEEDED', 3_000],
    ]);
    const user = await stack.app.signUp();
    expect(
      codesOf(
        await stack.app.graphql('mutation($id: ID!) { refundPurchase(id: $id) { id } }', { id: paid.id }, user.token),
      ),
    ).toEqual(['FORBIDDEN']);
  });

  it('a refund Stripe answers pending is settled by its events: one that succeeds counts, one that fails no longer counts and can be refunded again', async () => {
    const user = await stack.app.signUp();
    await card(await addCard(user, 'pm_card_pendingRefund'));
    const paid = await purchase(await buy(user, 5_000));
    const refund = async (amount?: number) =>
      (
        await stack.app.graphql(
          `mutation($id: ID!${amount ? ', $a: Int' : ''}) { refundPurchase(id: $id${amount ? ', amount: $a' : ''}) { id amount } }`,
          { id: paid.id, a: amount },
          refunder,
        )
      ).data!.refundPurchase as { id: string; amount: number };
    const refundRow = (id: string, done: (row: { status: string; stripeRefundId: string | null }) => boolean) =>
      eventually(() => stack.app.db.refund.findUniqueOrThrow({ where: { id } }), done, 20_000);
    /** Stripe's "some time later", at the local Stripe: the refund ends and its events reach the API. */
    const settle = (stripeRefundId: string, outcome: string) =>
      stack.stripe.rawRequest('POST', `/v1/test_helpers/stripe_local/refunds/${stripeRefundId}/settle`, { outcome });

    const good = await refundRow((await refund(1_000)).id, (row) => row.stripeRefundId !== null);
    expect(good.status).toBe('PENDING');
    await settle(good.stripeRefundId!, 'succeeded');
    expect(await refundRow(good.id, (row) => row.status !== 'PENDING')).toMatchObject({ status: 'SUCCEEDED' });
    expect(await purchase(paid.id, (status) => status === 'PARTIALLY_REFUNDED')).toMatchObject({
      amountRefunded: 1_000,
    });

    const bad = await refundRow((await refund()).id, (row) => row.stripeRefundId !== null);
    expect(bad).toMatchObject({ status: 'PENDING', amount: 4_000 });
    await settle(bad.stripeRefundId!, 'failed');
    expect(await refundRow(bad.id, (row) => row.status !== 'PENDING')).toMatchObject({
      status: 'FAILED',
      failureCode: 'expired_or_canceled_card',
    });
    // Its refund.updated, refund.failed and charge.refund.updated all arrived; it moved once.
    const types = await eventually(
      () =>
        stack.app.db.stripeEvent.findMany({
          where: { payload: { path: ['data', 'object', 'id'], equals: bad.stripeRefundId! } },
        }),
      (events) => events.length >= 4,
    );
    expect(types.map((event) => event.type).sort()).toEqual([
      'charge.refund.updated',
      'refund.created',
      'refund.failed',
      'refund.updated',
    ]);
    expect(await stack.app.db.purchase.findUniqueOrThrow({ where: { id: paid.id } })).toMatchObject({
      amountRefunded: 1_000,
      status: 'PARTIALLY_REFUNDED',
    });
    // A late "succeeded" never revives a failed refund.
    const late = eventFor('refund.updated', {
      ...(await stack.stripe.refunds.retrieve(bad.stripeRefundId!)),
      status: 'succeeded',
      failure_reason: null,
    });
    expect(await sendEvent(late)).toBe(200);
    expect(await stack.app.db.refund.findUniqueOrThrow({ where: { id: bad.id } })).toMatchObject({ status: 'FAILED' });
    // What failed is refundable again.
    expect((await refund()).amount).toBe(4_000);
  });

  it('a charge.refunded Stripe retries after its refund failed never counts the failed refund; a later one still counts', async () => {
    const user = await stack.app.signUp();
    await card(await addCard(user, 'pm_card_pendingRefund'));
    const paid = await purchase(await buy(user, 5_000));
    const refundId = (
      await stack.app.graphql('mutation($id: ID!) { refundPurchase(id: $id) { id } }', { id: paid.id }, refunder)
    ).data!.refundPurchase.id as string;
    const made = await eventually(
      () => stack.app.db.refund.findUniqueOrThrow({ where: { id: refundId } }),
      (row) => row.stripeRefundId !== null,
      20_000,
    );
    const [refunded] = await eventually(
      () =>
        stack.app.db.stripeEvent.findMany({
          where: {
            type: 'charge.refunded',
            payload: { path: ['data', 'object', 'payment_intent'], equals: paid.stripePaymentIntentId! },
          },
        }),
      (rows) => rows.length >= 1,
    );
    expect(await purchase(paid.id, (status) => status === 'REFUNDED')).toMatchObject({ amountRefunded: 5_000 });
    await stack.stripe.rawRequest('POST', `/v1/test_helpers/stripe_local/refunds/${made.stripeRefundId}/settle`, {
      outcome: 'failed',
    });
    await eventually(
      () => stack.app.db.refund.findUniqueOrThrow({ where: { id: refundId } }),
      (row) => row.status === 'FAILED',
      20_000,
    );
    expect(await purchase(paid.id, (status) => status === 'PAID')).toMatchObject({ amountRefunded: 0 });
    // Its first delivery failed (the API was down), so it was never recorded; Stripe's retry arrives now.
    const retried = refunded!.payload as { id: string; created: number; data: { object: object } };
    await stack.app.db.stripeEvent.delete({ where: { id: retried.id } });
    expect(await sendEvent(retried)).toBe(200);
    expect(await stack.app.db.stripeEvent.count({ where: { id: retried.id } })).toBe(1);
    expect(await stack.app.db.purchase.findUniqueOrThrow({ where: { id: paid.id } })).toMatchObject({
      status: 'PAID',
      amountRefunded: 0,
    });
    // A refund made in the Dashboard after the failure is reported by a later charge.refunded only.
    const failedAt = (
      await stack.app.db.stripeEvent.findFirstOrThrow({
        where: { type: 'refund.failed', payload: { path: ['data', 'object', 'id'], equals: made.stripeRefundId! } },
      })
    ).payload as { created: number };
    const dashboard = {
      ...eventFor('charge.refunded', { ...retried.data.object, amount_refunded: 2_000 }),
      created: failedAt.created + 1,
    };
    expect(await sendEvent(dashboard)).toBe(200);
    expect(await stack.app.db.purchase.findUniqueOrThrow({ where: { id: paid.id } })).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      amountRefunded: 2_000,
    });
    expect(
      (await stack.app.graphql('mutation($id: ID!) { refundPurchase(id: $id) { amount } }', { id: paid.id }, refunder))
        .data!.refundPurchase.amount,
    ).toBe(3_000);
  });

  it('a refund that succeeded and later fails (pm_card_refundFail): FAILED, the purchase paid again, and refundable again', async () => {
    const user = await stack.app.signUp();
    await card(await addCard(user, 'pm_card_refundFail'));
    const paid = await purchase(await buy(user, 2_000));
    const refund = async () =>
      (await stack.app.graphql('mutation($id: ID!) { refundPurchase(id: $id) { id } }', { id: paid.id }, refunder))
        .data!.refundPurchase.id as string;
    const row = (id: string, status: string) =>
      eventually(
        () => stack.app.db.refund.findUniqueOrThrow({ where: { id } }),
        (found) => found.status === status,
        20_000,
      );
    const made = await row(await refund(), 'SUCCEEDED');
    expect(await purchase(paid.id, (status) => status === 'REFUNDED')).toMatchObject({ amountRefunded: 2_000 });
    await stack.stripe.rawRequest('POST', `/v1/test_helpers/stripe_local/refunds/${made.stripeRefundId}/settle`, {
      outcome: 'failed',
      failure_reason: 'lost_or_stolen_card',
    });
    expect(await row(made.id, 'FAILED')).toMatchObject({ failureCode: 'lost_or_stolen_card' });
    expect(await purchase(paid.id, (status) => status === 'PAID')).toMatchObject({ amountRefunded: 0, isPaid: true });
    await row(await refund(), 'SUCCEEDED');
  });

  it('a disputed payment shows the dispute', async () => {
    const user = await stack.app.signUp();
    await card(await addCard(user, 'pm_card_createDispute'));
    const purchaseId = await buy(user, 2_000);
    expect(await purchase(purchaseId, (status) => status === 'DISPUTED')).toMatchObject({
      isPaid: true,
      disputeStatus: expect.any(String),
    });
  });

  it('events of test mode never touch a live purchase', async () => {
    const { purchase: paid } = await paidPurchase();
    await stack.app.db.purchase.update({ where: { id: paid.id }, data: { livemode: true } });
    const refunded = eventFor('charge.refunded', {
      ...(await stack.stripe.charges.retrieve(paid.stripeChargeId!)),
      amount_refunded: 5_000,
      refunded: true,
    });
    expect(await sendEvent(refunded)).toBe(200);
    expect(await stack.app.db.purchase.findUniqueOrThrow({ where: { id: paid.id } })).toMatchObject({
      status: 'PAID',
      amountRefunded: 0,
    });
  });
});
