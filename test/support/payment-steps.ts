import { authenticationPage } from '@paygraph/stripe-local';
import { afterAll, beforeAll } from 'vitest';
import { startPaymentStack, type PaymentStack } from './payment-stack.js';
import { eventually } from '../../packages/testing/eventually.js';

export type Shopper = { userId: string; token: string };

/**
 * What a user (and their bank) does in the payment workflow, through the API and the local Stripe's
 * pages, and the waits on what follows: shared by the end-to-end payment tests.
 */
// Generous: these tests assert where a payment ends, not how fast. Dozens of card-then-purchase flows at
// once, beside another test file on two cores, take seconds per attempt (a purchase waited 20 s once).
const SETTLES_WITHIN_MS = 60_000;

/**
 * A card as create-customer leaves it: no longer PENDING and, if ACTIVE, written back (brand, last
 * four, and the customer's default at Stripe set before that). Stripe's setup_intent.succeeded can
 * make it ACTIVE a moment before the service's write-back.
 */
export const savedByService = (card: { status: string; last4: string | null }) =>
  card.status !== 'PENDING' && (card.status !== 'ACTIVE' || card.last4 !== null);

export function paymentSteps(stack: PaymentStack) {
  const { app } = stack;
  return {
    async addCard(user: Shopper, cardToken: string): Promise<string> {
      const answer = await app.graphql(
        'mutation($u: ID!, $t: String!) { createCardDetails(cardToken: $t, userId: $u) { id } }',
        { u: user.userId, t: cardToken },
        user.token,
      );
      if (!answer.data?.createCardDetails)
        throw new Error(`createCardDetails failed: ${JSON.stringify(answer.errors)}`);
      return answer.data.createCardDetails.id as string;
    },
    async buy(user: Shopper, amount: number): Promise<string> {
      const answer = await app.graphql(
        'mutation($u: ID!, $a: Int!) { createPurchase(amount: $a, description: "Shoes", userId: $u) { id } }',
        { u: user.userId, a: amount },
        user.token,
      );
      if (!answer.data?.createPurchase) throw new Error(`createPurchase failed: ${JSON.stringify(answer.errors)}`);
      return answer.data.createPurchase.id as string;
    },
    /** The card once `done` says so: by default, once create-customer has saved it (`savedByService`). */
    card: (id: string, done?: (status: string) => boolean) =>
      eventually(
        () => app.db.cardDetails.findUniqueOrThrow({ where: { id } }),
        (row) => (done ? done(row.status) : savedByService(row)),
        SETTLES_WITHIN_MS,
      ),
    /** The purchase once `done` says so: by default, once it is no longer PENDING. */
    purchase: (id: string, done: (status: string) => boolean = (status) => status !== 'PENDING') =>
      eventually(
        () => app.db.purchase.findUniqueOrThrow({ where: { id } }),
        (row) => done(row.status),
        SETTLES_WITHIN_MS,
      ),
    /** The cardholder answering the bank's 3-D Secure page (the emulator's `next_action` URL). */
    async authenticate(url: string, outcome: 'complete' | 'fail'): Promise<void> {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `outcome=${outcome}`,
        // With a return_url the page sends the cardholder back there (303); without one it answers 200.
        redirect: 'manual',
      });
      if (response.status !== 200 && response.status !== 303)
        throw new Error(`the 3-D Secure page answered ${response.status}`);
    },
    /** The 3-D Secure page of a card's SetupIntent. */
    async setupPage(setupIntentId: string): Promise<string> {
      return authenticationPage((await stack.stripe.setupIntents.retrieve(setupIntentId)).next_action);
    },
  };
}

/** A payment stack and its steps for one describe block: started before its tests, stopped after them. */
export function paymentStackForSuite(): { stack: PaymentStack; steps: ReturnType<typeof paymentSteps> } {
  const suite = {} as { stack: PaymentStack; steps: ReturnType<typeof paymentSteps> };
  beforeAll(async () => {
    suite.stack = await startPaymentStack();
    suite.steps = paymentSteps(suite.stack);
  });
  afterAll(() => suite.stack?.stop());
  return suite;
}
