import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, stripeError, type Emulator } from './support/harness.js';

describe('stripe-local: objects', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it('customers: create, retrieve, update, list by email, search by email and metadata, delete', async () => {
    const stripe = emulator.stripe();
    const jenny = await stripe.customers.create({
      email: 'jenny@example.com',
      name: 'Jenny',
      metadata: { userId: 'u-1', plan: 'pro' },
    });
    await stripe.customers.create({ email: 'other@example.com', metadata: { userId: 'u-2' } });
    expect(await stripe.customers.retrieve(jenny.id)).toMatchObject({
      id: jenny.id,
      email: 'jenny@example.com',
      metadata: { userId: 'u-1', plan: 'pro' },
    });
    const updated = await stripe.customers.update(jenny.id, { name: 'Jenny Rosen', metadata: { plan: '' } });
    expect(updated).toMatchObject({ name: 'Jenny Rosen', metadata: { userId: 'u-1' } });
    expect(updated.metadata).not.toHaveProperty('plan');
    expect((await stripe.customers.list({ email: 'jenny@example.com' })).data.map((c) => c.id)).toEqual([jenny.id]);
    expect((await stripe.customers.search({ query: "email:'jenny@example.com'" })).data.map((c) => c.id)).toEqual([
      jenny.id,
    ]);
    expect(
      (await stripe.customers.search({ query: "metadata['userId']:'u-2' OR metadata['userId']:'u-1'" })).data,
    ).toHaveLength(2);
    expect(
      (await stripe.customers.search({ query: "name~'rosen' AND -email:'other@example.com'" })).data.map((c) => c.id),
    ).toEqual([jenny.id]);
    expect(await stripe.customers.del(jenny.id)).toEqual(expect.objectContaining({ id: jenny.id, deleted: true }));
    expect(await stripe.customers.retrieve(jenny.id)).toMatchObject({ id: jenny.id, deleted: true });
    expect((await stripe.customers.list()).data).toHaveLength(1);
    expect(await stripeError(stripe.customers.search({ query: 'email:' }))).toMatchObject({
      statusCode: 400,
      param: 'query',
    });
  });

  it('lists are newest first and paginate with starting_after, as auto-pagination uses them', async () => {
    const stripe = emulator.stripe();
    const made: string[] = [];
    for (let i = 0; i < 25; i++) made.push((await stripe.customers.create({ email: `page${i}@example.com` })).id);
    const page = await stripe.customers.list({ limit: 10 });
    expect(page).toMatchObject({ object: 'list', has_more: true, url: '/v1/customers' });
    expect(page.data.map((c) => c.id)).toEqual(made.slice(-10).reverse());
    const all: string[] = [];
    for await (const customer of stripe.customers.list({ limit: 7 })) all.push(customer.id);
    expect(all).toEqual([...made].reverse());
    expect((await stripe.customers.list({ ending_before: made[0]!, limit: 3 })).data.map((c) => c.id)).toEqual(
      made.slice(1, 4).reverse(),
    );
  });

  it('payment methods: attach, default for invoices, list by customer and type, detach', async () => {
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create({});
    const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const amex = await stripe.paymentMethods.create({
      type: 'card',
      card: { token: 'tok_amex' },
      billing_details: { name: 'Jenny Rosen' },
    });
    await stripe.paymentMethods.attach(amex.id, { customer: customer.id });
    const withDefault = await stripe.customers.update(customer.id, {
      invoice_settings: { default_payment_method: amex.id },
    });
    expect(withDefault.invoice_settings.default_payment_method).toBe(amex.id);
    expect((await stripe.paymentMethods.list({ customer: customer.id, type: 'card' })).data.map((pm) => pm.id)).toEqual(
      [amex.id, visa.id],
    );
    const detached = await stripe.paymentMethods.detach(amex.id);
    expect(detached.customer).toBeNull();
    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({
      invoice_settings: { default_payment_method: null },
    });
    expect((await stripe.events.list({ type: 'payment_method.detached' })).data).toHaveLength(1);
    expect(
      await stripeError(
        stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: amex.id } }),
      ),
    ).toMatchObject({
      param: 'invoice_settings[default_payment_method]',
    });
  });

  it('payment intents: create then confirm, update, list and search by metadata, cancel', async () => {
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create({});
    const open = await stripe.paymentIntents.create({
      amount: 1_000,
      currency: 'usd',
      customer: customer.id,
      metadata: { orderId: 'o-1' },
    });
    expect(open).toMatchObject({
      status: 'requires_payment_method',
      client_secret: expect.stringMatching(new RegExp(`^${open.id}_secret_`)),
    });
    expect(
      await stripe.paymentIntents.update(open.id, { amount: 1_500, payment_method: 'pm_card_mastercard' }),
    ).toMatchObject({ amount: 1_500, status: 'requires_confirmation' });
    const paid = await stripe.paymentIntents.confirm(open.id, { return_url: 'https://shop.example/done' });
    expect(paid).toMatchObject({
      status: 'succeeded',
      amount_received: 1_500,
      latest_charge: expect.stringMatching(/^ch_/),
    });
    expect(await stripeError(stripe.paymentIntents.confirm(open.id))).toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
    const abandoned = await stripe.paymentIntents.create({
      amount: 2_000,
      currency: 'usd',
      customer: customer.id,
      metadata: { orderId: 'o-2' },
    });
    expect(await stripe.paymentIntents.cancel(abandoned.id, { cancellation_reason: 'abandoned' })).toMatchObject({
      status: 'canceled',
      cancellation_reason: 'abandoned',
    });
    expect(await stripeError(stripe.paymentIntents.cancel(paid.id))).toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
    expect((await stripe.paymentIntents.list({ customer: customer.id })).data.map((pi) => pi.id)).toEqual([
      abandoned.id,
      open.id,
    ]);
    expect(
      (await stripe.paymentIntents.search({ query: "metadata['orderId']:'o-1' AND status:'succeeded'" })).data.map(
        (pi) => pi.id,
      ),
    ).toEqual([open.id]);
    expect(
      await stripeError(stripe.paymentIntents.create({ amount: 100, currency: 'usd', off_session: true })),
    ).toMatchObject({ param: 'off_session' });
  });

  it('charges made by PaymentIntents: listed by customer and by payment_intent, with customer and payment_method', async () => {
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create({});
    const intent = await stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      setup_future_usage: 'off_session',
    });
    const [charge] = (await stripe.charges.list({ customer: customer.id })).data;
    expect(charge).toMatchObject({
      id: intent.latest_charge,
      customer: customer.id,
      payment_intent: intent.id,
      payment_method: intent.payment_method,
      amount: 700,
      paid: true,
      captured: true,
    });
    expect((await stripe.charges.list({ payment_intent: intent.id })).data.map((c) => c.id)).toEqual([charge!.id]);
    // setup_future_usage saved the card to the customer.
    expect((await stripe.paymentMethods.list({ customer: customer.id })).data.map((pm) => pm.id)).toEqual([
      intent.payment_method,
    ]);
  });

  it('legacy calls: customer with a source, more sources, a default source, charges found by search and by customer', async () => {
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create({
      email: 'legacy@example.com',
      source: 'tok_visa',
      metadata: { userId: 'u-9' },
    });
    const added = (await stripe.customers.createSource(customer.id, { source: 'tok_mastercard' })) as Stripe.Card;
    expect(added).toMatchObject({ object: 'card', brand: 'MasterCard', customer: customer.id });
    await stripe.customers.update(customer.id, { default_source: added.id });
    const expanded = (await stripe.customers.retrieve(customer.id, { expand: ['sources'] })) as Stripe.Customer;
    expect(expanded.sources!.data.map((source) => (source as Stripe.Card).brand).sort()).toEqual([
      'MasterCard',
      'Visa',
    ]);
    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).not.toHaveProperty('sources');
    const charge = await stripe.charges.create({
      amount: 1_234,
      currency: 'usd',
      customer: customer.id,
      description: 'legacy',
      metadata: { purchaseId: 'p-1' },
    });
    expect(charge).toMatchObject({
      customer: customer.id,
      status: 'succeeded',
      source: { id: added.id, customer: customer.id },
      payment_method: added.id,
    });
    expect((await stripe.charges.search({ query: "metadata['purchaseId']:'p-1'" })).data.map((c) => c.id)).toEqual([
      charge.id,
    ]);
    expect((await stripe.charges.list({ customer: customer.id })).data.map((c) => c.id)).toEqual([charge.id]);
    // A legacy card can pay a PaymentIntent too, as on Stripe.
    expect(
      (
        await stripe.paymentIntents.create({
          amount: 999,
          currency: 'usd',
          customer: customer.id,
          payment_method: added.id,
          confirm: true,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        })
      ).status,
    ).toBe('succeeded');
    const gone = await stripe.customers.deleteSource(customer.id, added.id);
    expect(gone).toMatchObject({ id: added.id, deleted: true });
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).default_source).toBe(
      customer.default_source,
    );
  });
});
