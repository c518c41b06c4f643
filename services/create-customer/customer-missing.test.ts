import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stripe } from '../lib/stripe-client.js';
import type { FakePaygraph } from '../../packages/testing/fake-paygraph.js';
import { sendCallback } from '../../packages/testing/send-callback.js';
import { startServiceHarness, type ServiceHarness } from '../../packages/testing/service-harness.js';
import { createCustomerHandler } from './index.js';

const TOKEN = 'pgt_create_customer_missing_test';

// Stripe's "Error codes" page: resource_missing is final, so a card is not retried for ever against a
// customer deleted in the Dashboard (or lost by a local Stripe restarted empty): a new customer takes it.
describe('create-customer: a customer Stripe no longer knows', () => {
  let harness: ServiceHarness;
  let api: FakePaygraph;
  let stripe: Stripe;
  let serviceUrl: string;
  beforeAll(async () => {
    harness = await startServiceHarness(createCustomerHandler, TOKEN);
    ({ api, stripe, url: serviceUrl } = harness);
  });
  afterAll(() => harness?.stop());

  const newCard = (stripeId: string | null) => {
    const n = randomUUID().slice(0, 8);
    return {
      id: `card_${n}`,
      cardToken: 'tok_visa',
      status: 'PENDING',
      stripePaymentMethodId: null,
      stripeSetupIntentId: null,
      user: {
        id: `u_${n}`,
        email: `${n}@example.com`,
        name: 'Nilan',
        stripeId,
        cardDetails: [{ id: `card_${n}`, status: 'PENDING' }],
      },
    };
  };
  const savedTo = async (card: ReturnType<typeof newCard>) => {
    expect((await sendCallback(serviceUrl, card)).status).toBe(200);
    const [write] = api.writes('updateUser', card.user.id).slice(-1);
    return write?.stripeId as string;
  };

  it("the user's stripeId names a deleted customer: the card is saved ACTIVE to a new customer, written back as stripeId", async () => {
    const first = newCard(null);
    const lost = await savedTo(first);
    await stripe.customers.del(lost);
    const second = { ...newCard(lost), user: { ...first.user, stripeId: lost } };
    const replacement = await savedTo(second);
    expect(replacement).toMatch(/^cus_/);
    expect(replacement).not.toBe(lost);
    expect(api.writes('updateCardDetails', second.id).at(-1)).toMatchObject({ status: 'ACTIVE' });
    const setup = await stripe.setupIntents.retrieve(api.writes('updateCardDetails', second.id).at(-1)!.seti as string);
    expect(setup.customer).toBe(replacement);
  });

  it("stripeId already forgotten, within the 24 hours the first customer's key is remembered: a new customer, not the deleted one", async () => {
    const first = newCard(null);
    const lost = await savedTo(first);
    await stripe.customers.del(lost);
    const second = { ...newCard(null), user: { ...first.user, stripeId: null } };
    const replacement = await savedTo(second);
    expect(replacement).not.toBe(lost);
    expect(api.writes('updateCardDetails', second.id).at(-1)).toMatchObject({ status: 'ACTIVE' });
  });
});
