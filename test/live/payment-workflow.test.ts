import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../packages/testing/eventually.js';
import { listen } from '../../packages/testing/listen.js';
import { TEST_SIGNING_SECRET } from '../../packages/testing/signing-secret.js';
import { chargeCustomerHandler } from '../../services/charge-customer/index.js';
import { createCustomerHandler } from '../../services/create-customer/index.js';
import { paygraphClient } from '../../services/lib/paygraph-client.js';
import { createStripe, type Stripe } from '../../services/lib/stripe-client.js';
import { startTestPaygraph, type TestPaygraph } from '../support/paygraph.js';
import { API_PORT, LIVE, startStripeTarget, WEBHOOK_SECRET, type StripeTarget } from './stripe-target.js';

// The tutorial end to end (API + worker, the repository's callbacks.yml, both services) against the emulator
// in `npm test`, against Stripe's test mode in `npm run test:stripe-live`.
describe('the payment workflow against Stripe (the emulator, or test mode with npm run test:stripe-live)', () => {
  let app: TestPaygraph;
  let target: StripeTarget;
  let stripe: Stripe;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    const handlers: Record<string, (req: never, res: never) => unknown> = {};
    const create = await listen((req, res) => handlers.create!(req as never, res as never));
    const charge = await listen((req, res) => handlers.charge!(req as never, res as never));
    closers.push(create.close, charge.close);
    app = await startTestPaygraph({
      callbacksYaml: readFileSync(new URL('../../callbacks.yml', import.meta.url), 'utf8'),
      env: {
        CREATE_CUSTOMER_URL: create.url,
        CHARGE_CUSTOMER_URL: charge.url,
        PORT: API_PORT,
        ...(WEBHOOK_SECRET && { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET }),
      },
    });
    target = await startStripeTarget(`${app.url}/stripe/webhook`);
    stripe = createStripe(target.key, target.apiUrl);
    const deps = (token: string) => ({
      stripe,
      paygraph: paygraphClient(`${app.url}/graphql`, token),
      signingSecret: TEST_SIGNING_SECRET,
      returnUrl: `${app.url}/console/`,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    });
    handlers.create = createCustomerHandler(deps(await app.accessToken('customers:write'))) as never;
    handlers.charge = chargeCustomerHandler(deps(await app.accessToken('purchases:settle'))) as never;
  });
  afterAll(async () => {
    await app?.stop();
    for (const close of closers) await close();
    await target?.stop();
  });

  const addCard = async (user: { userId: string; token: string }, cardToken: string) =>
    (
      await app.graphql(
        'mutation($u: ID!, $t: String!) { createCardDetails(cardToken: $t, userId: $u) { id } }',
        { u: user.userId, t: cardToken },
        user.token,
      )
    ).data!.createCardDetails.id as string;
  const buy = async (user: { userId: string; token: string }, amount: number) =>
    (
      await app.graphql(
        'mutation($u: ID!, $a: Int!) { createPurchase(amount: $a, description: "A new laptop", userId: $u) { id } }',
        { u: user.userId, a: amount },
        user.token,
      )
    ).data!.createPurchase.id as string;
  const purchase = (id: string) => app.db.purchase.findUniqueOrThrow({ where: { id } });
  const settled = (id: string) =>
    eventually(
      () => purchase(id),
      (row) => row.status !== 'PENDING',
      30_000,
    );

  it('a card (tok_visa), then a purchase: the card ACTIVE, the purchase PAID by its succeeded PaymentIntent', async () => {
    const user = await app.signUp();
    const cardId = await addCard(user, 'tok_visa');
    await eventually(
      () => app.db.cardDetails.findUniqueOrThrow({ where: { id: cardId } }),
      (card) => card.status === 'ACTIVE',
      30_000,
    );
    const paid = await settled(await buy(user, 5_000));
    expect(paid).toMatchObject({ status: 'PAID', isPaid: true });
    expect(await stripe.paymentIntents.retrieve(paid.stripePaymentIntentId!)).toMatchObject({
      status: 'succeeded',
      amount: 5_000,
    });
  });

  it('a card that attaches and then fails every charge (tok_chargeCustomerFail): the purchase FAILED card_declined', async () => {
    const user = await app.signUp();
    await addCard(user, 'tok_chargeCustomerFail');
    expect(await settled(await buy(user, 1_200))).toMatchObject({ status: 'FAILED', failureCode: 'card_declined' });
  });

  // Stripe's events reach the API only through a forwarding (`stripe listen`) live: without its secret, say so.
  it.skipIf(LIVE && !WEBHOOK_SECRET)(
    "a refund made at Stripe's side reaches the purchase by Stripe's event (live: needs stripe listen and STRIPE_WEBHOOK_SECRET)",
    async () => {
      const user = await app.signUp();
      await addCard(user, 'tok_visa');
      const paid = await settled(await buy(user, 3_000));
      expect(paid.status).toBe('PAID');
      await stripe.refunds.create({ payment_intent: paid.stripePaymentIntentId!, amount: 1_000 });
      expect(
        await eventually(
          () => purchase(paid.id),
          (row) => row.status !== 'PAID',
          30_000,
        ),
      ).toMatchObject({ status: 'PARTIALLY_REFUNDED', amountRefunded: 1_000 });
    },
  );
});
