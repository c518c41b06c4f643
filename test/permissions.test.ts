import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startTestPaygraph, type TestPaygraph } from './support/paygraph.js';

describe('permissions, each rule allowed and refused', () => {
  let app: TestPaygraph;
  let alice: { userId: string; token: string };
  let bob: { userId: string; token: string };
  let alicePurchaseId: string;
  let aliceCardId: string;

  beforeAll(async () => {
    app = await startTestPaygraph();
    alice = await app.signUp();
    bob = await app.signUp();
    const card = await app.graphql(
      'mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }',
      { u: alice.userId },
      alice.token,
    );
    aliceCardId = card.data!.createCardDetails.id;
    const purchase = await app.graphql(
      'mutation($u: ID!) { createPurchase(amount: 1200, description: "Book", userId: $u) { id } }',
      { u: alice.userId },
      alice.token,
    );
    alicePurchaseId = purchase.data!.createPurchase.id;
  });
  afterAll(() => app.stop());

  const count = async () => ({
    cards: await app.db.cardDetails.count(),
    purchases: await app.db.purchase.count(),
  });

  it('anonymous callers are asked to sign in for everything but sign-up and sign-in', async () => {
    const before = await count();
    for (const query of [
      '{ me { id } }',
      '{ allPurchases { id } }',
      '{ allCardDetails { id } }',
      `{ Purchase(id: "${alicePurchaseId}") { id } }`,
      `{ User(id: "${alice.userId}") { id } }`,
      `mutation { createPurchase(amount: 5, description: "x", userId: "${alice.userId}") { id } }`,
      `mutation { createCardDetails(cardToken: "tok_visa", userId: "${alice.userId}") { id } }`,
      'mutation { signoutUser }',
    ]) {
      expect(codesOf(await app.graphql(query)), query).toContain('UNAUTHENTICATED');
    }
    expect(await count()).toEqual(before);
  });

  it('a user reads their own user, card details and purchases', async () => {
    const own = await app.graphql(
      `{ User(id: "${alice.userId}") { id email } Purchase(id: "${alicePurchaseId}") { amount } allPurchases { id } allCardDetails { id } }`,
      {},
      alice.token,
    );
    expect(own.errors).toBeUndefined();
    expect(own.data!.Purchase.amount).toBe(1200);
    expect(own.data!.allPurchases).toEqual([{ id: alicePurchaseId }]);
    expect(own.data!.allCardDetails).toEqual([{ id: aliceCardId }]);
  });

  it("someone else's user, card details or purchase answers null, exactly as an unknown id does", async () => {
    for (const [field, id] of [
      ['User', alice.userId],
      ['Purchase', alicePurchaseId],
      ['CardDetails', aliceCardId],
    ] as const) {
      const theirs = await app.graphql(`{ ${field}(id: "${id}") { id } }`, {}, bob.token);
      const unknown = await app.graphql(`{ ${field}(id: "no-such-id") { id } }`, {}, bob.token);
      expect(theirs, field).toEqual({ data: { [field]: null } });
      expect(unknown, field).toEqual(theirs);
    }
    const lists = await app.graphql('{ allPurchases { id } allCardDetails { id } }', {}, bob.token);
    expect(lists.data).toEqual({ allPurchases: [], allCardDetails: [] });
  });

  it('a user cannot add card details or purchases for another user, and nothing is written', async () => {
    const before = await count();
    const card = await app.graphql(
      'mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }',
      { u: alice.userId },
      bob.token,
    );
    const purchase = await app.graphql(
      'mutation($u: ID!) { createPurchase(amount: 100, description: "x", userId: $u) { id } }',
      { u: alice.userId },
      bob.token,
    );
    expect(codesOf(card)).toEqual(['FORBIDDEN']);
    expect(codesOf(purchase)).toEqual(['FORBIDDEN']);
    expect(await count()).toEqual(before);
  });

  it('a user can create a purchase only unpaid', async () => {
    const before = await count();
    const paid = await app.graphql(
      'mutation($u: ID!) { createPurchase(amount: 100, description: "x", isPaid: true, userId: $u) { id } }',
      { u: alice.userId },
      alice.token,
    );
    expect(codesOf(paid)).toEqual(['FORBIDDEN']);
    expect(await count()).toEqual(before);
  });

  it('a user cannot write isPaid, status, stripeId or stripeChargeId', async () => {
    const attempts = [
      `mutation { updatePurchase(id: "${alicePurchaseId}", isPaid: true) { id } }`,
      `mutation { updatePurchase(id: "${alicePurchaseId}", status: PAID) { id } }`,
      `mutation { updatePurchase(id: "${alicePurchaseId}", stripeChargeId: "ch_123") { id } }`,
      `mutation { updateUser(id: "${alice.userId}", stripeId: "cus_123") { id } }`,
      `mutation { updateCardDetails(id: "${aliceCardId}", status: ACTIVE) { id } }`,
    ];
    for (const query of attempts)
      expect(codesOf(await app.graphql(query, {}, alice.token)), query).toEqual(['FORBIDDEN']);
    const purchase = await app.db.purchase.findUniqueOrThrow({ where: { id: alicePurchaseId } });
    expect(purchase).toMatchObject({ isPaid: false, status: 'PENDING', stripeChargeId: null });
    expect((await app.db.user.findUniqueOrThrow({ where: { id: alice.userId } })).stripeId).toBeNull();
  });

  it('cardToken is never shown to a user, even their own', async () => {
    const response = await app.graphql(`{ CardDetails(id: "${aliceCardId}") { id cardToken } }`, {}, alice.token);
    expect(codesOf(response)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(response)).not.toContain('tok_visa');
  });

  it("a user can delete their own card details, not anyone else's", async () => {
    const card = await app.graphql(
      'mutation($u: ID!) { createCardDetails(cardToken: "tok_mastercard", userId: $u) { id } }',
      { u: alice.userId },
      alice.token,
    );
    const id = card.data!.createCardDetails.id;
    expect(codesOf(await app.graphql(`mutation { deleteCardDetails(id: "${id}") { id } }`, {}, bob.token))).toEqual([
      'FORBIDDEN',
    ]);
    expect(await app.db.cardDetails.count({ where: { id } })).toBe(1);
    const deleted = await app.graphql(`mutation { deleteCardDetails(id: "${id}") { id } }`, {}, alice.token);
    expect(deleted.data!.deleteCardDetails.id).toBe(id);
    expect(await app.db.cardDetails.count({ where: { id } })).toBe(0);
  });
});
