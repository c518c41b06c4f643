import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeAccessToken } from '../src/auth/access-tokens.js';
import { hashToken } from '../src/auth/tokens.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { startPaymentStack } from './support/payment-stack.js';
import { subscribe } from './support/sse.js';

// Subscribers connect to a second API process; the writes happen through the first and its worker,
// so every event below crossed processes through PostgreSQL NOTIFY.
describe('live status: GraphQL subscriptions over SSE', () => {
  let stack: Awaited<ReturnType<typeof startPaymentStack>>;
  let other: TestPaygraph;
  let otherUrl: string;
  const streams: { close(): void }[] = [];
  const watch = async (...args: Parameters<typeof subscribe> extends [string, ...infer Rest] ? Rest : never) => {
    const stream = await subscribe(otherUrl, ...args);
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    stack = await startPaymentStack();
    other = await startTestPaygraph({ databaseUrl: stack.app.databaseUrl, roles: { api: true, worker: false } });
    otherUrl = `${other.url}/graphql`;
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await other?.stop();
    await stack?.stop();
  });

  const addCard = async (user: { userId: string; token: string }, cardToken = 'tok_visa') =>
    (
      await stack.app.graphql(
        'mutation($u: ID!, $c: String!) { createCardDetails(cardToken: $c, userId: $u) { id } }',
        { u: user.userId, c: cardToken },
        user.token,
      )
    ).data!.createCardDetails.id as string;
  const buy = async (user: { userId: string; token: string }) =>
    (
      await stack.app.graphql(
        'mutation($u: ID!) { createPurchase(amount: 4200, description: "live", userId: $u) { id } }',
        { u: user.userId },
        user.token,
      )
    ).data!.createPurchase.id as string;

  it('the owner watches a purchase become paid, and its card details become active', async () => {
    const user = await stack.app.signUp();
    const cardId = await addCard(user);
    const card = await watch(
      'subscription($id: ID!) { cardDetailsUpdated(id: $id) { id status } }',
      { id: cardId },
      user.token,
    );
    await card.waitFor((event) => event.data?.cardDetailsUpdated?.status === 'ACTIVE');
    const purchaseId = await buy(user);
    const purchase = await watch(
      'subscription($id: ID!) { purchaseUpdated(id: $id) { id status isPaid failureCode } }',
      { id: purchaseId },
      user.token,
    );
    expect(purchase.status).toBe(200);
    const paid = await purchase.waitFor((event) => event.data?.purchaseUpdated?.isPaid === true);
    expect(paid.data!.purchaseUpdated).toEqual({ id: purchaseId, status: 'PAID', isPaid: true, failureCode: null });
  });

  it('a failed charge arrives as FAILED with its failure code', async () => {
    const user = await stack.app.signUp();
    await addCard(user, 'tok_chargeCustomerFail');
    const purchaseId = await buy(user);
    const purchase = await watch(
      'subscription($id: ID!) { purchaseUpdated(id: $id) { status isPaid failureCode } }',
      { id: purchaseId },
      user.token,
    );
    const failed = await purchase.waitFor((event) => event.data?.purchaseUpdated?.status === 'FAILED');
    expect(failed.data!.purchaseUpdated).toMatchObject({ isPaid: false, failureCode: expect.any(String) });
  });

  it("someone else's purchase, an unknown id and no token are refused when the subscription starts", async () => {
    const owner = await stack.app.signUp();
    const stranger = await stack.app.signUp();
    const purchaseId = await buy(owner);
    const query = 'subscription($id: ID!) { purchaseUpdated(id: $id) { id } }';
    const cases = [
      [purchaseId, stranger.token, 'FORBIDDEN'],
      ['no-such-purchase', stranger.token, 'FORBIDDEN'],
      [purchaseId, undefined, 'UNAUTHENTICATED'],
    ] as const;
    for (const [id, token, code] of cases) {
      const refused = await watch(query, { id }, token);
      const event = await refused.waitFor(() => true);
      expect(event.errors?.[0]?.extensions?.code).toBe(code);
      expect(event.data?.purchaseUpdated ?? null).toBeNull();
    }
  });

  it('an operator with callbacks:admin sees deliveries move; a user may not watch them', async () => {
    const admin = await stack.app.accessToken('callbacks:admin');
    const deliveries = await watch('subscription { callbackDeliveryUpdated { id callback nodeId status } }', {}, admin);
    const user = await stack.app.signUp();
    await addCard(user);
    const purchaseId = await buy(user);
    await deliveries.waitFor(
      (event) =>
        event.data?.callbackDeliveryUpdated?.nodeId === purchaseId &&
        event.data.callbackDeliveryUpdated.status === 'DELIVERED',
    );
    const refused = await watch('subscription { callbackDeliveryUpdated { id } }', {}, user.token);
    expect((await refused.waitFor(() => true)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('signing out ends the open subscriptions of that session, with UNAUTHENTICATED', async () => {
    const user = await stack.app.signUp();
    const purchaseId = await buy(user);
    const purchase = await watch(
      'subscription($id: ID!) { purchaseUpdated(id: $id) { id } }',
      { id: purchaseId },
      user.token,
    );
    await purchase.waitFor((event) => event.data?.purchaseUpdated?.id === purchaseId);
    expect((await stack.app.graphql('mutation { signoutUser }', {}, user.token)).data?.signoutUser).toBe(true);
    const refused = await purchase.waitFor((event) => event.errors !== undefined);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await purchase.ended();
  });

  it('a revocation made while the API was not listening ends the stream once it listens again', async () => {
    const token = await stack.app.accessToken('callbacks:admin');
    const deliveries = await watch('subscription { callbackDeliveryUpdated { id } }', {}, token);
    const row = await stack.app.db.accessToken.findUniqueOrThrow({ where: { tokenHash: hashToken(token) } });
    const client = await stack.app.pool.connect();
    try {
      // Revoked with the row's trigger silenced, as if its NOTIFY was sent while the connection was down.
      await client.query(`set session_replication_role = replica`);
      await client.query('update "AccessToken" set "revokedAt" = now() where id = $1', [row.id]);
      await client.query(`reset session_replication_role`);
      // The API processes' LISTEN connections drop, and come back.
      await client.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'LISTEN%' and pid <> pg_backend_pid()`,
      );
    } finally {
      client.release();
    }
    const refused = await deliveries.waitFor((event) => event.errors !== undefined);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await deliveries.ended();
  });

  it("revoking an access token ends its subscriptions; the token's own use does not", async () => {
    const token = await stack.app.accessToken('callbacks:admin');
    const deliveries = await watch('subscription { callbackDeliveryUpdated { nodeId status } }', {}, token);
    // Using the token writes its last use: a change to its row, which must not end the stream.
    await stack.app.graphql('{ __typename }', {}, token);
    const user = await stack.app.signUp();
    await addCard(user);
    const purchaseId = await buy(user);
    await deliveries.waitFor((event) => event.data?.callbackDeliveryUpdated?.nodeId === purchaseId);
    const row = await stack.app.db.accessToken.findUniqueOrThrow({ where: { tokenHash: hashToken(token) } });
    expect(await revokeAccessToken(stack.app.db, row.id)).toBe(1);
    const refused = await deliveries.waitFor((event) => event.errors !== undefined);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await deliveries.ended();
  });
});
