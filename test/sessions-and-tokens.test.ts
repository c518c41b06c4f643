import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startTestPaygraph, type TestPaygraph } from './support/paygraph.js';

describe('sessions', () => {
  let app: TestPaygraph;
  beforeAll(async () => {
    app = await startTestPaygraph();
  });
  afterAll(() => app.stop());

  it('stores only a hash of the session token', async () => {
    const user = await app.signUp();
    const sessions = await app.db.session.findMany({ where: { userId: user.userId } });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.tokenHash).not.toContain(user.token);
    expect(sessions[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signoutUser revokes the session: the token stops working', async () => {
    const user = await app.signUp();
    expect((await app.graphql('{ me { id } }', {}, user.token)).data!.me.id).toBe(user.userId);
    expect((await app.graphql('mutation { signoutUser }', {}, user.token)).data!.signoutUser).toBe(true);
    expect(codesOf(await app.graphql('{ me { id } }', {}, user.token))).toEqual(['UNAUTHENTICATED']);
  });

  it('an expired session is refused', async () => {
    const user = await app.signUp();
    await app.db.session.updateMany({
      where: { userId: user.userId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect(codesOf(await app.graphql('{ me { id } }', {}, user.token))).toEqual(['UNAUTHENTICATED']);
  });

  it('an unknown bearer token is refused rather than treated as anonymous', async () => {
    expect(codesOf(await app.graphql('{ me { id } }', {}, 'pgs_madeup'))).toEqual(['UNAUTHENTICATED']);
  });

  it('passwords are stored as scrypt hashes, never in the clear', async () => {
    const user = await app.signUp();
    const row = await app.db.user.findUniqueOrThrow({ where: { id: user.userId } });
    expect(row.passwordHash).toMatch(/^scrypt\$/);
    expect(row.passwordHash).not.toContain('correct horse');
  });
});

describe('access tokens and scopes', () => {
  let app: TestPaygraph;
  let user: { userId: string; token: string };
  let purchaseId: string;
  beforeAll(async () => {
    app = await startTestPaygraph();
    user = await app.signUp();
    const purchase = await app.graphql(
      'mutation($u: ID!) { createPurchase(amount: 700, description: "Lamp", userId: $u) { id } }',
      { u: user.userId },
      user.token,
    );
    purchaseId = purchase.data!.createPurchase.id;
  });
  afterAll(() => app.stop());

  const settle = (token: string) =>
    app.graphql(
      `mutation { updatePurchase(id: "${purchaseId}", isPaid: true, status: PAID, stripeChargeId: "ch_test1") { id isPaid status paidAt } }`,
      {},
      token,
    );

  it('a token without purchases:settle cannot settle a purchase', async () => {
    const token = await app.accessToken('customers:write');
    expect(codesOf(await settle(token))).toEqual(['FORBIDDEN']);
    expect((await app.db.purchase.findUniqueOrThrow({ where: { id: purchaseId } })).isPaid).toBe(false);
  });

  it('a token with customers:write sets stripeId but cannot settle', async () => {
    const token = await app.accessToken('customers:write');
    const updated = await app.graphql(
      `mutation { updateUser(id: "${user.userId}", stripeId: "cus_ABC123") { id stripeId } }`,
      {},
      token,
    );
    expect(updated.data!.updateUser).toEqual({ id: user.userId, stripeId: 'cus_ABC123' });
  });

  it('a token with purchases:settle settles the purchase and records when it was last used', async () => {
    const token = await app.accessToken('purchases:settle');
    const settled = await settle(token);
    expect(settled.errors).toBeUndefined();
    expect(settled.data!.updatePurchase).toMatchObject({ isPaid: true, status: 'PAID', paidAt: expect.any(String) });
    const row = await app.db.accessToken.findFirstOrThrow({ where: { scopes: { equals: ['purchases:settle'] } } });
    await expect
      .poll(async () => (await app.db.accessToken.findUniqueOrThrow({ where: { id: row.id } })).lastUsedAt)
      .not.toBeNull();
  });

  it('a paid purchase cannot be unpaid or settled with another charge', async () => {
    const token = await app.accessToken('purchases:settle');
    const unpay = await app.graphql(
      `mutation { updatePurchase(id: "${purchaseId}", isPaid: false, status: FAILED) { id } }`,
      {},
      token,
    );
    const recharge = await app.graphql(
      `mutation { updatePurchase(id: "${purchaseId}", stripeChargeId: "ch_other") { id } }`,
      {},
      token,
    );
    expect(codesOf(unpay)).toEqual(['CONFLICT']);
    expect(codesOf(recharge)).toEqual(['CONFLICT']);
    expect(await app.db.purchase.findUniqueOrThrow({ where: { id: purchaseId } })).toMatchObject({
      isPaid: true,
      stripeChargeId: 'ch_test1',
    });
  });

  it('a token reads nodes only with nodes:read, and then sees cardToken', async () => {
    const card = await app.graphql(
      'mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }',
      { u: user.userId },
      user.token,
    );
    const query = `{ CardDetails(id: "${card.data!.createCardDetails.id}") { cardToken } }`;
    expect(codesOf(await app.graphql(query, {}, await app.accessToken('purchases:settle')))).toEqual(['FORBIDDEN']);
    const reader = await app.graphql(query, {}, await app.accessToken('nodes:read'));
    expect(reader.data!.CardDetails.cardToken).toBe('tok_visa');
  });

  it('a revoked token stops working', async () => {
    const token = await app.accessToken('nodes:read');
    const { revokeAccessToken } = await import('../src/auth/access-tokens.js');
    const { hashToken } = await import('../src/auth/tokens.js');
    const row = await app.db.accessToken.findUniqueOrThrow({ where: { tokenHash: hashToken(token) } });
    expect(await revokeAccessToken(app.db, row.id)).toBe(1);
    expect(codesOf(await app.graphql('{ allPurchases { id } }', {}, token))).toEqual(['UNAUTHENTICATED']);
  });

  it('stores tokens hashed', async () => {
    const token = await app.accessToken('nodes:read');
    const rows = await app.db.accessToken.findMany();
    expect(rows.every((row) => !row.tokenHash.includes(token) && /^[0-9a-f]{64}$/.test(row.tokenHash))).toBe(true);
  });
});
