import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePaygraph, type FakePaygraph } from '../../packages/testing/fake-paygraph.js';
import { listen } from '../../packages/testing/listen.js';
import { purchasePayload } from '../../packages/testing/purchase-payload.js';
import { customerWithCard } from '../../packages/testing/saved-customer.js';
import { sendCallback } from '../../packages/testing/send-callback.js';
import { TEST_SIGNING_SECRET } from '../../packages/testing/signing-secret.js';
import { chargeCustomerHandler } from '../../services/charge-customer/index.js';
import { createCustomerHandler } from '../../services/create-customer/index.js';
import { paygraphClient } from '../../services/lib/paygraph-client.js';
import { createStripe, type Stripe } from '../../services/lib/stripe-client.js';
import { startStripeTarget, type StripeTarget } from './stripe-target.js';

const TOKEN = 'pgt_live_services';
const RETURN_URL = 'https://paygraph.test/console/';

// The services as they run live: the same calls, to the emulator in `npm test` and to Stripe's test mode in
// `npm run test:stripe-live`. Only Stripe's documented test ids (tok_*, pm_card_*), no card numbers, no
// emulator-only controls, no search (Stripe's lags by up to a minute): what they assert holds at Stripe.
describe('the services against Stripe (the emulator, or test mode with npm run test:stripe-live)', () => {
  let target: StripeTarget;
  let api: FakePaygraph;
  let stripe: Stripe;
  const services: { createCustomer: string; chargeCustomer: string; close: (() => Promise<void>)[] } = {
    createCustomer: '',
    chargeCustomer: '',
    close: [],
  };
  beforeAll(async () => {
    target = await startStripeTarget();
    api = await startFakePaygraph(TOKEN);
    stripe = createStripe(target.key, target.apiUrl);
    const deps = {
      stripe,
      paygraph: paygraphClient(api.url, TOKEN),
      signingSecret: TEST_SIGNING_SECRET,
      returnUrl: RETURN_URL,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    };
    const create = await listen(createCustomerHandler(deps));
    const charge = await listen(chargeCustomerHandler(deps));
    Object.assign(services, {
      createCustomer: create.url,
      chargeCustomer: charge.url,
      close: [create.close, charge.close],
    });
  });
  afterAll(async () => {
    for (const close of services.close) await close();
    await api?.close();
    await target?.stop();
  });

  const newCard = (cardToken: string) => {
    const n = randomUUID().slice(0, 8);
    const card = {
      id: `card_${n}`,
      cardToken,
      status: 'PENDING',
      stripePaymentMethodId: null,
      stripeSetupIntentId: null,
    };
    const user = {
      id: `u_${n}`,
      email: `${n}@example.com`,
      name: 'Nilan',
      stripeId: null,
      cardDetails: [{ id: card.id, status: 'PENDING' }],
    };
    return { ...card, user };
  };
  const newPurchase = (saved: { stripeId: string; pm: string }) => purchasePayload(saved, 2_000, 'A live check');
  const cardWrite = (cardId: string) => api.writes('updateCardDetails', cardId).at(-1);
  const settlement = (purchaseId: string) => api.writes('updatePurchase', purchaseId).at(-1);

  it('create-customer saves tok_visa: a customer, its default PaymentMethod, ACTIVE visa 4242', async () => {
    const card = newCard('tok_visa');
    expect((await sendCallback(services.createCustomer, card)).status).toBe(200);
    const [{ stripeId }] = api.writes('updateUser', card.user.id) as [{ stripeId: string }];
    expect(cardWrite(card.id)).toMatchObject({ status: 'ACTIVE', brand: 'visa', last4: '4242' });
    const customer = (await stripe.customers.retrieve(stripeId)) as Stripe.Customer;
    expect(customer.invoice_settings.default_payment_method).toBe(cardWrite(card.id)!.pm);
  });

  it('create-customer with a card whose bank asks for 3-D Secure when saved: REQUIRES_ACTION with its SetupIntent', async () => {
    const card = newCard('pm_card_authenticationRequiredOnSetup');
    expect((await sendCallback(services.createCustomer, card)).status).toBe(200);
    expect(cardWrite(card.id)).toMatchObject({
      status: 'REQUIRES_ACTION',
      seti: expect.stringMatching(/^seti_/),
      secret: expect.stringContaining('_secret_'),
    });
    const setup = await stripe.setupIntents.retrieve((cardWrite(card.id) as { seti: string }).seti);
    expect(setup.status).toBe('requires_action');
  });

  it('charge-customer pays a saved pm_card_visa off-session: PAID with its succeeded PaymentIntent', async () => {
    const purchase = newPurchase(await customerWithCard(stripe, 'pm_card_visa'));
    expect((await sendCallback(services.chargeCustomer, purchase)).status).toBe(200);
    const paid = settlement(purchase.id) as { status: string; pi: string };
    expect(paid).toMatchObject({ status: 'PAID' });
    expect(await stripe.paymentIntents.retrieve(paid.pi)).toMatchObject({
      status: 'succeeded',
      amount_received: 2_000,
    });
  });

  it('charge-customer with a card that attaches and then fails every charge: FAILED card_declined', async () => {
    const purchase = newPurchase(await customerWithCard(stripe, 'pm_card_chargeCustomerFail'));
    expect((await sendCallback(services.chargeCustomer, purchase)).status).toBe(200);
    expect(settlement(purchase.id)).toMatchObject({ status: 'FAILED', code: 'card_declined' });
  });

  it('charge-customer for a customer deleted at Stripe: FAILED customer_missing, nothing charged', async () => {
    const saved = await customerWithCard(stripe, 'pm_card_visa');
    await stripe.customers.del(saved.stripeId);
    const purchase = newPurchase(saved);
    expect((await sendCallback(services.chargeCustomer, purchase)).status).toBe(200);
    expect(settlement(purchase.id)).toMatchObject({ status: 'FAILED', code: 'customer_missing' });
  });
});
