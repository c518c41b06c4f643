import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, startEmulator, startReceiver, until, type Emulator } from './support/harness.js';

/** The SDK's own verification, as a Paygraph receiver will do it. */
const verify = (body: string, header: string | string[] | undefined, secret: string) =>
  Stripe.webhooks.constructEvent(body, String(header), secret);

describe('stripe-local: events and webhooks', () => {
  let emulator: Emulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  /** Each test gets its own receiver, so one test's deliveries never reach another's. */
  const withReceiver = async () => {
    receiver = await startReceiver();
    return receiver;
  };
  afterAll(() => receiver?.close());

  it('an endpoint receives the events it enabled, signed so that constructEvent verifies them', async () => {
    const stripe = emulator.stripe();
    const inbox = await withReceiver();
    const endpoint = await stripe.webhookEndpoints.create({
      url: inbox.url,
      enabled_events: ['customer.created', 'payment_intent.succeeded', 'charge.succeeded'],
    });
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect((await stripe.webhookEndpoints.retrieve(endpoint.id)).secret).toBeUndefined();

    const customer = await stripe.customers.create({ email: 'hooked@example.com' });
    const intent = await stripe.paymentIntents.create({
      amount: 1_000,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    await until(() => inbox.received.length === 3, 'three deliveries');
    const events = inbox.received.map((request) =>
      verify(request.body, request.headers['stripe-signature'], endpoint.secret!),
    );
    expect(events.map((event) => event.type).sort()).toEqual([
      'charge.succeeded',
      'customer.created',
      'payment_intent.succeeded',
    ]);
    expect(events.find((event) => event.type === 'payment_intent.succeeded')!.data.object).toMatchObject({
      id: intent.id,
      status: 'succeeded',
    });
    expect(() =>
      verify(inbox.received[0]!.body, inbox.received[0]!.headers['stripe-signature'], 'whsec_other'),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    // What was sent is what /v1/events holds.
    const listed = await stripe.events.retrieve(events[0]!.id);
    expect(listed).toMatchObject({
      id: events[0]!.id,
      type: events[0]!.type,
      request: { idempotency_key: expect.stringMatching(/^stripe-node-retry-/) },
    });
    await inbox.close();
  });

  it('a failing receiver is retried with backoff on the emulator clock until it answers 2xx', async () => {
    const stripe = emulator.stripe();
    const inbox = await withReceiver();
    inbox.state.status = 500;
    const endpoint = await stripe.webhookEndpoints.create({ url: inbox.url, enabled_events: ['customer.created'] });
    await stripe.customers.create({ email: 'retry@example.com' });
    await until(() => inbox.received.length === 1, 'the first attempt');
    // The next attempt waits a minute of the emulator's clock: none happens before the clock moves.
    expect(inbox.received).toHaveLength(1);
    await emulator.control(stripe, 'POST', 'clock/advance', { seconds: 60 });
    await until(() => inbox.received.length === 2, 'the second attempt');
    inbox.state.status = 204;
    await emulator.control(stripe, 'POST', 'clock/advance', { seconds: 300 });
    await until(() => inbox.received.length === 3, 'the third attempt');
    const ids = inbox.received.map(
      (request) => verify(request.body, request.headers['stripe-signature'], endpoint.secret!).id,
    );
    expect(new Set(ids).size).toBe(1);
    // Delivered: moving the clock by days sends nothing more.
    await emulator.control(stripe, 'POST', 'clock/advance', { seconds: 3 * 86_400 });
    await stripe.customers.create({ email: 'marker@example.com' });
    await until(() => inbox.received.length === 4, 'the marker event');
    expect(
      verify(inbox.received[3]!.body, inbox.received[3]!.headers['stripe-signature'], endpoint.secret!).data.object,
    ).toMatchObject({ email: 'marker@example.com' });
    await inbox.close();
  });

  it('pending_webhooks counts the endpoints that have not yet answered 2xx, and drops as deliveries succeed (api/events/object)', async () => {
    const stripe = emulator.stripe();
    const [good, failing] = [await startReceiver(), await startReceiver()];
    failing.state.status = 500;
    await stripe.webhookEndpoints.create({ url: good.url, enabled_events: ['customer.created'] });
    await stripe.webhookEndpoints.create({ url: failing.url, enabled_events: ['customer.created'] });
    await stripe.webhookEndpoints.create({ url: good.url, enabled_events: ['customer.deleted'] });
    const customer = await stripe.customers.create({ email: 'pending@example.com' });
    const eventOf = async () => (await stripe.events.list({ type: 'customer.created' })).data[0]!;
    // Both endpoints that want it are counted in what they are sent; the one that does not want it is not.
    await until(() => good.received.length === 1 && failing.received.length === 1, 'both first attempts');
    expect(good.events()[0]).toMatchObject({ data: { object: { id: customer.id } }, pending_webhooks: 2 });
    await until(async () => (await eventOf()).pending_webhooks === 1, 'the delivered one to be counted off');
    expect((await stripe.events.retrieve((await eventOf()).id)).pending_webhooks).toBe(1);
    failing.state.status = 200;
    await emulator.control(stripe, 'POST', 'clock/advance', { seconds: 60 });
    await until(() => failing.received.length === 2, 'the retry');
    await until(async () => (await eventOf()).pending_webhooks === 0, 'the retried one to be counted off');
    await Promise.all([good.close(), failing.close()]);
  });

  it('out of order on request: the newest pending event goes first', async () => {
    const stripe = emulator.stripe();
    const inbox = await withReceiver();
    await emulator.control(stripe, 'POST', 'webhook_order', { order: 'reversed' });
    const endpoint = await stripe.webhookEndpoints.create({ url: inbox.url, enabled_events: ['*'] });
    const intent = await stripe.paymentIntents.create({
      amount: 1_000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    await until(() => inbox.received.length === 3, 'three events');
    const received = inbox.received.map((request) =>
      verify(request.body, request.headers['stripe-signature'], endpoint.secret!),
    );
    const created = (await stripe.events.list()).data.reverse();
    expect(created.map((event) => event.type)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    expect(received.map((event) => event.id)).toEqual(created.map((event) => event.id).reverse());
    expect(received[0]!.data.object).toMatchObject({ id: intent.id });
    await inbox.close();
  });

  it('events are listed newest first and filtered by type', async () => {
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create({ email: 'events@example.com' });
    await stripe.customers.update(customer.id, { name: 'Jenny Rosen' });
    await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const types = (await stripe.events.list()).data.map((event) => event.type);
    expect(types).toEqual(['payment_method.attached', 'customer.updated', 'customer.created']);
    const updated = (await stripe.events.list({ type: 'customer.updated' })).data[0]!;
    expect(updated.data.previous_attributes).toEqual({ name: null });
    expect((await stripe.events.list({ types: ['customer.*'] } as Stripe.EventListParams)).data).toHaveLength(2);
  });

  it("accounts are separate: A's events reach only A's endpoints (the one made at start included), never B's", async () => {
    const [stackInbox, bInbox] = [await startReceiver(), await startReceiver()];
    const accountA = newKey();
    const stack = await startEmulator({ webhook: { accountKey: accountA, url: stackInbox.url } });
    try {
      const [a, b, other] = [stack.stripe(accountA), stack.stripe(), stack.stripe()];
      const bEndpoint = await b.webhookEndpoints.create({ url: bInbox.url, enabled_events: ['*'] });
      // The endpoint made at start is A's, as if A had created it; B sees only its own.
      expect((await a.webhookEndpoints.list()).data.map((endpoint) => endpoint.url)).toEqual([stackInbox.url]);
      expect((await b.webhookEndpoints.list()).data.map((endpoint) => endpoint.id)).toEqual([bEndpoint.id]);

      const emailsIn = (inbox: typeof stackInbox, secret: string) =>
        inbox.received.map(
          (request) =>
            (verify(request.body, request.headers['stripe-signature'], secret).data.object as Stripe.Customer).email,
        );
      await a.customers.create({ email: 'a@example.com' });
      await b.customers.create({ email: 'b@example.com' });
      await other.paymentIntents.create({
        amount: 50,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        metadata: { purchaseId: 'not-yours' },
      });
      await other.customers.create({ email: 'other@example.com' });
      // Each endpoint's deliveries are in order: once its account's last event is in, any other would have been too.
      await a.customers.create({ email: 'a-last@example.com' });
      await b.customers.create({ email: 'b-last@example.com' });
      await until(() => emailsIn(stackInbox, stack.webhookSecret!).includes('a-last@example.com'), "A's last event");
      await until(() => emailsIn(bInbox, bEndpoint.secret!).includes('b-last@example.com'), "B's last event");
      expect(emailsIn(stackInbox, stack.webhookSecret!)).toEqual(['a@example.com', 'a-last@example.com']);
      expect(emailsIn(bInbox, bEndpoint.secret!)).toEqual(['b@example.com', 'b-last@example.com']);
    } finally {
      await stack.stop();
      await Promise.all([stackInbox.close(), bInbox.close()]);
    }
  });

  it('an endpoint made at start needs a test-mode key for its account', async () => {
    await expect(
      startEmulator({ webhook: { accountKey: 'sk_live_abcdefghijklmnop', url: 'http://127.0.0.1:9/webhook' } }),
    ).rejects.toThrow(/account key must be a test-mode secret key/);
  });
});
