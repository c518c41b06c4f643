import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, until, type Emulator } from './support/harness.js';

// docs/search#data-freshness: "data is searchable in less than a minute", not at once; lists and
// retrieval see a write immediately.
const LAG_MS = 1_500;

describe('stripe-local: search lags behind writes (searchLagMs)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ searchLagMs: LAG_MS });
  });
  afterAll(() => emulator.stop());

  it('a new customer, PaymentIntent and charge are found by search only once the lag has passed; lists find them at once', async () => {
    const stripe = emulator.stripe();
    const started = Date.now();
    const customer = await stripe.customers.create({ metadata: { order: 'o1' } });
    const paid = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      return_url: 'https://shop.example/done',
      metadata: { order: 'o1' },
    });
    const searches = () =>
      Promise.all([
        stripe.customers.search({ query: "metadata['order']:'o1'" }),
        stripe.paymentIntents.search({ query: "metadata['order']:'o1'" }),
        stripe.charges.search({ query: `payment_intent:'${paid.id}'` }),
      ]);
    expect((await searches()).map((found) => found.data.length)).toEqual([0, 0, 0]);
    expect((await stripe.customers.list()).data.map((each) => each.id)).toEqual([customer.id]);
    expect((await stripe.paymentIntents.retrieve(paid.id)).status).toBe('succeeded');
    await until(async () => (await searches()).every((found) => found.data.length === 1), 'search to catch up');
    expect(Date.now() - started).toBeGreaterThanOrEqual(LAG_MS);
  });

  it('an update takes the object out of search until the lag has passed again', async () => {
    const stripe = emulator.stripe();
    const intent = await stripe.paymentIntents.create({ amount: 500, currency: 'usd', metadata: { step: 'one' } });
    const byStep = async (step: string) =>
      (await stripe.paymentIntents.search({ query: `metadata['step']:'${step}'` })).data.map((found) => found.id);
    await until(async () => (await byStep('one')).length === 1, 'the new intent to be searchable');
    await stripe.paymentIntents.update(intent.id, { metadata: { step: 'two' } });
    expect(await byStep('two')).toEqual([]);
    await until(async () => (await byStep('two')).length === 1, 'the update to be searchable');
    expect(await byStep('one')).toEqual([]);
  });

  it('without the option, search finds an object at once', async () => {
    const fresh = await startEmulator();
    try {
      const stripe = fresh.stripe();
      const customer = await stripe.customers.create({ email: 'now@example.com' });
      expect((await stripe.customers.search({ query: "email:'now@example.com'" })).data[0]?.id).toBe(customer.id);
    } finally {
      await fresh.stop();
    }
  });
});
