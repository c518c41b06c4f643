import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCards } from '@paygraph/stripe-local';
import { paymentIntentsFor, startPaymentStack, type PaymentStack } from './support/payment-stack.js';
import { paymentSteps, type Shopper } from './support/payment-steps.js';

const PAID = { status: 'PAID', isPaid: true, failureCode: null, succeededIntents: 1 };
const failed = (failureCode: string) => ({ status: 'FAILED', isPaid: false, failureCode, succeededIntents: 0 });
const NO_CARD = failed('no_payment_method');

/**
 * What each test card ends as, added with its Stripe.js token and bought with at once (the
 * tutorial's sequence): the card's status and code, and the purchase's. `authenticate`: the owner
 * completes the bank's 3-D Secure page when the card is saved.
 */
type Expected = {
  card: { status: string; failureCode?: string };
  purchase: { status: string; isPaid: boolean; failureCode: string | null; succeededIntents: number };
  authenticate?: true;
  /** Stripe reports the end state by a later event (a dispute after the payment): waited for past PAID. */
  pastPaid?: true;
};
const ACTIVE = { status: 'ACTIVE' };
const EXPECTED: Record<string, Expected> = {
  ...Object.fromEntries(
    [
      'visa',
      'visa_debit',
      'mastercard',
      'mastercard_debit',
      'mastercard_prepaid',
      'amex',
      'discover',
      'diners',
      'jcb',
      'unionpay',
      'riskLevelElevated',
      'threeDSecureOptional',
      'bypassPending',
      'cvcCheckFail',
      'avsZipFail',
      'avsLine1Fail',
      'avsFail',
      'br',
      'ca',
      'mx',
      'gb',
      'de',
    ].map((name) => [name, { card: ACTIVE, purchase: PAID }]),
  ),
  createDispute: { card: ACTIVE, purchase: { ...PAID, status: 'DISPUTED' }, pastPaid: true },
  createDisputeProductNotReceived: { card: ACTIVE, purchase: { ...PAID, status: 'DISPUTED' }, pastPaid: true },
  // An inquiry is announced by charge.dispute.created as a chargeback is.
  createDisputeInquiry: { card: ACTIVE, purchase: { ...PAID, status: 'DISPUTED' }, pastPaid: true },
  // Paid as any card; only their refunds differ (stripe-webhooks.test.ts follows those).
  pendingRefund: { card: ACTIVE, purchase: PAID },
  refundFail: { card: ACTIVE, purchase: PAID },
  // Declined when saved: the user has no usable card, so the purchase fails at once.
  visa_chargeDeclined: { card: { status: 'REJECTED', failureCode: 'card_declined' }, purchase: NO_CARD },
  visa_chargeDeclinedInsufficientFunds: {
    card: { status: 'REJECTED', failureCode: 'card_declined' },
    purchase: NO_CARD,
  },
  visa_chargeDeclinedLostCard: { card: { status: 'REJECTED', failureCode: 'card_declined' }, purchase: NO_CARD },
  visa_chargeDeclinedStolenCard: { card: { status: 'REJECTED', failureCode: 'card_declined' }, purchase: NO_CARD },
  visa_chargeDeclinedExpiredCard: { card: { status: 'REJECTED', failureCode: 'expired_card' }, purchase: NO_CARD },
  visa_chargeDeclinedIncorrectCvc: { card: { status: 'REJECTED', failureCode: 'incorrect_cvc' }, purchase: NO_CARD },
  // Saved, then declined when charged.
  visa_chargeDeclinedProcessingError: { card: ACTIVE, purchase: failed('processing_error') },
  visa_chargeDeclinedVelocityLimitExceeded: {
    card: { status: 'REJECTED', failureCode: 'card_declined' },
    purchase: NO_CARD,
  },
  // Radar blocks every payment (docs/radar/testing).
  radarBlock: { card: ACTIVE, purchase: failed('card_declined') },
  riskLevelHighest: { card: ACTIVE, purchase: failed('card_declined') },
  chargeCustomerFail: { card: ACTIVE, purchase: failed('card_declined') },
  // 3-D Secure when saved; these banks ask again on every payment, so the off-session charge waits for the owner.
  authenticationRequired: {
    card: ACTIVE,
    authenticate: true,
    purchase: { status: 'REQUIRES_ACTION', isPaid: false, failureCode: 'authentication_required', succeededIntents: 0 },
  },
  threeDSecure2Required: {
    card: ACTIVE,
    authenticate: true,
    purchase: { status: 'REQUIRES_ACTION', isPaid: false, failureCode: 'authentication_required', succeededIntents: 0 },
  },
  threeDSecureRequired: {
    card: ACTIVE,
    authenticate: true,
    purchase: { status: 'REQUIRES_ACTION', isPaid: false, failureCode: 'authentication_required', succeededIntents: 0 },
  },
  // 3-D Secure once when saved, then paid off-session.
  authenticationRequiredOnSetup: { card: ACTIVE, authenticate: true, purchase: PAID },
  // The emulator's delayed-settlement card: the payment is processing until Stripe reports its end.
  delayedSettlement: {
    card: ACTIVE,
    purchase: { status: 'PROCESSING', isPaid: false, failureCode: null, succeededIntents: 0 },
  },
};
const SETTLED = (status: string) => !['PENDING', 'REQUIRES_ACTION'].includes(status);

// Every test card of services/stripe-local through the whole workflow, all at once: API, worker,
// callbacks.yml, both services, the emulator and its webhook; PaymentIntents counted at Stripe.
describe('each test card, card then purchase', () => {
  let stack: PaymentStack;
  let steps: ReturnType<typeof paymentSteps>;
  beforeAll(async () => {
    stack = await startPaymentStack();
    steps = paymentSteps(stack);
  });
  afterAll(() => stack?.stop());

  /**
   * Users signed up a few at a time: each sign-up and sign-in hashes a password (scrypt, memory-hard),
   * setup the test is not about, and two dozen at once on two cores outlast a mutation's time limit.
   */
  const signUpMany = async (count: number): Promise<Shopper[]> => {
    const users: Shopper[] = [];
    while (users.length < count)
      users.push(
        ...(await Promise.all(Array.from({ length: Math.min(4, count - users.length) }, () => stack.app.signUp()))),
      );
    return users;
  };
  /** The user adds the card and buys at once; the owner answers the bank's page if asked. */
  const cardThenPurchase = async (
    user: Shopper,
    name: string,
    { authenticate = false, pastPaid = false }: { authenticate?: boolean; pastPaid?: boolean } = {},
  ) => {
    const cardId = await steps.addCard(user, `tok_${name}`);
    const purchaseId = await steps.buy(user, 1_000);
    let card = await steps.card(cardId);
    if (authenticate && card.status === 'REQUIRES_ACTION') {
      await steps.authenticate(await steps.setupPage(card.stripeSetupIntentId!), 'complete');
      card = await steps.card(cardId, (status) => status !== 'REQUIRES_ACTION');
    }
    const ended = (status: string) =>
      (SETTLED(status) && !(pastPaid && status === 'PAID')) ||
      (status === 'REQUIRES_ACTION' && card.status === 'ACTIVE');
    const purchase = await steps.purchase(purchaseId, ended);
    return { card, purchase, intents: await paymentIntentsFor(stack.stripe, purchaseId) };
  };

  it('every test card of the emulator has an outcome here', () => {
    expect(testCards.map((card) => card.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  // Over 40 cards, each a user signed up (scrypt) and a purchase: minutes on a busy two-core machine.
  it('each ends as Stripe documents it, with exactly one succeeded PaymentIntent per paid purchase and none for the others', async () => {
    const names = Object.keys(EXPECTED);
    const users = await signUpMany(names.length);
    const outcomes = await Promise.all(
      names.map((name, index) =>
        cardThenPurchase(users[index]!, name, {
          authenticate: EXPECTED[name]!.authenticate,
          pastPaid: EXPECTED[name]!.pastPaid,
        }),
      ),
    );
    const seen = Object.fromEntries(
      names.map((name, index) => {
        const { card, purchase, intents } = outcomes[index]!;
        const expected = EXPECTED[name]!;
        return [
          name,
          {
            card: {
              status: card.status,
              ...(expected.card.failureCode !== undefined && { failureCode: card.failureCode }),
            },
            purchase: {
              status: purchase.status,
              isPaid: purchase.isPaid,
              failureCode: purchase.failureCode,
              succeededIntents: intents.filter((intent) => intent.status === 'succeeded').length,
            },
          },
        ];
      }),
    );
    const expected = Object.fromEntries(
      Object.entries(EXPECTED).map(([name, { card, purchase }]) => [name, { card, purchase }]),
    );
    expect(seen).toEqual(expected);
    // A paid purchase names the one PaymentIntent and its charge; a card refused when saved made none.
    for (const [index, name] of names.entries()) {
      const { purchase, intents } = outcomes[index]!;
      if (purchase.isPaid)
        expect(purchase, name).toMatchObject({
          stripePaymentIntentId: intents[0]!.id,
          stripeChargeId: intents[0]!.latest_charge,
        });
      if (EXPECTED[name]!.purchase === NO_CARD) expect(intents, name).toEqual([]);
    }
  }, 180_000);

  it.each([
    ['succeeded', { status: 'PAID', isPaid: true, failureCode: null }, 1],
    ['failed', { status: 'FAILED', isPaid: false, failureCode: 'card_declined' }, 0],
  ] as const)(
    'PROCESSING, then Stripe reports the payment %s: the purchase follows by webhook',
    async (outcome, settled, succeededIntents) => {
      const { purchase } = await cardThenPurchase(await stack.app.signUp(), 'delayedSettlement');
      expect(purchase).toMatchObject({ status: 'PROCESSING', stripePaymentIntentId: expect.stringMatching(/^pi_/) });
      await stack.stripe.rawRequest(
        'POST',
        `/v1/test_helpers/stripe_local/payment_intents/${purchase.stripePaymentIntentId}/settle`,
        { outcome },
      );
      expect(await steps.purchase(purchase.id, (status) => status !== 'PROCESSING')).toMatchObject(settled);
      const intents = await paymentIntentsFor(stack.stripe, purchase.id);
      expect(intents.filter((intent) => intent.status === 'succeeded')).toHaveLength(succeededIntents);
    },
  );
});
