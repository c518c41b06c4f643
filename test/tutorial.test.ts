import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';

// The seed tutorial's operations, exactly as a reader of it would type them.
describe('the Graphcool Stripe tutorial, verbatim', () => {
  let app: TestPaygraph;
  beforeAll(async () => {
    app = await startTestPaygraph();
  });
  afterAll(() => app.stop());

  it('signs up, signs in, adds card details and creates an unpaid purchase', async () => {
    const created = await app.graphql(
      'mutation { createUser(name: "Nilan", authProvider: { email: { email: "nilan@graph.cool", password: "password" } }) { id } }',
    );
    expect(created.errors).toBeUndefined();
    const userId = created.data!.createUser.id;

    const signedIn = await app.graphql(
      'mutation { signinUser(email: { email: "nilan@graph.cool", password: "password" }) { token user { id } } }',
    );
    expect(signedIn.data!.signinUser.user.id).toBe(userId);
    const token = signedIn.data!.signinUser.token;
    expect(token).toMatch(/^pgs_/);

    const card = await app.graphql(
      `mutation { createCardDetails(cardToken: "tok_visa", userId: "${userId}") { id } }`,
      {},
      token,
    );
    expect(card.errors).toBeUndefined();
    expect(card.data!.createCardDetails.id).toEqual(expect.any(String));

    const purchase = await app.graphql(
      `mutation { createPurchase(amount: 50000, description: "A new laptop", isPaid: false, userId: "${userId}") { id isPaid } }`,
      {},
      token,
    );
    expect(purchase.data!.createPurchase).toEqual({ id: expect.any(String), isPaid: false });

    const me = await app.graphql(
      '{ me { name email stripeId cardDetails { id status } purchases { amount currency status isPaid description paidAt } } }',
      {},
      token,
    );
    expect(me.data!.me).toEqual({
      name: 'Nilan',
      email: 'nilan@graph.cool',
      stripeId: null,
      cardDetails: [{ id: card.data!.createCardDetails.id, status: 'PENDING' }],
      purchases: [
        { amount: 50000, currency: 'usd', status: 'PENDING', isPaid: false, description: 'A new laptop', paidAt: null },
      ],
    });
  });

  it('treats emails case-insensitively at sign-in', async () => {
    const signedIn = await app.graphql(
      'mutation { signinUser(email: { email: "NILAN@Graph.Cool", password: "password" }) { user { email } } }',
    );
    expect(signedIn.data!.signinUser.user.email).toBe('nilan@graph.cool');
  });
});
