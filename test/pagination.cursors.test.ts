import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startTestPaygraph, type TestPaygraph } from './support/paygraph.js';

// A cursor is a place in the list, never a question about a row: someone else's id must answer what
// an id nobody has answers, and must not cost the caller a row of their own.
describe('pagination cursors', () => {
  let app: TestPaygraph;
  beforeAll(async () => {
    // Deliveries are written with the mutation; no worker sends them, so their URL is never asked.
    const hook = (trigger: string) =>
      `{ trigger: ${trigger}, url: "http://127.0.0.1:9/hook", payload: "{ createdNode { id } }" }`;
    app = await startTestPaygraph({
      roles: { api: true, worker: false },
      callbacksYaml: `callbacks:\n  onPurchase: ${hook('Purchase.created')}\n  onCard: ${hook('CardDetails.created')}\n`,
    });
  });
  afterAll(() => app.stop());

  type Shopper = Awaited<ReturnType<TestPaygraph['signUp']>> & {
    purchases: string[];
    cards: string[];
    refunds: string[];
  };

  /** A user with purchases, cards, and refunds of their first purchase (rows only Stripe's answer would make otherwise). */
  async function shopper(count: number): Promise<Shopper> {
    const user = await app.signUp();
    const purchases: string[] = [];
    const cards: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const made = await app.graphql(
        'mutation($u: ID!) { createPurchase(amount: 900, description: "x", userId: $u) { id } createCardDetails(cardToken: "tok_visa", userId: $u) { id } }',
        { u: user.userId },
        user.token,
      );
      purchases.push(made.data!.createPurchase.id);
      cards.push(made.data!.createCardDetails.id);
    }
    const refunds: string[] = [];
    for (let i = 0; i < count; i += 1)
      refunds.push((await app.db.refund.create({ data: { purchaseId: purchases[0]!, amount: 100 } })).id);
    return { ...user, purchases, cards, refunds };
  }

  /** An id that sorts right after `id` and names no row. */
  const unknownNextTo = (id: string) => `${id}0`;

  it("someone else's cursor answers exactly as an unknown one, in every list, and no row of the caller is lost", async () => {
    const other = await shopper(1);
    const caller = await shopper(3);
    const reader = await app.accessToken('nodes:read');
    const lists: { name: string; query: string; token: string; ids: string[]; foreign: string }[] = [
      {
        name: 'allPurchases',
        query: 'query($a: ID) { list: allPurchases(after: $a) { id } }',
        token: caller.token,
        ids: caller.purchases,
        foreign: other.purchases[0]!,
      },
      {
        name: 'allCardDetails',
        query: 'query($a: ID) { list: allCardDetails(after: $a) { id } }',
        token: caller.token,
        ids: caller.cards,
        foreign: other.cards[0]!,
      },
      {
        name: 'me.purchases',
        query: 'query($a: ID) { me { list: purchases(after: $a) { id } } }',
        token: caller.token,
        ids: caller.purchases,
        foreign: other.purchases[0]!,
      },
      {
        name: 'me.cardDetails',
        query: 'query($a: ID) { me { list: cardDetails(after: $a) { id } } }',
        token: caller.token,
        ids: caller.cards,
        foreign: other.cards[0]!,
      },
      {
        name: 'Purchase.refunds',
        query: `query($a: ID) { Purchase(id: "${caller.purchases[0]}") { list: refunds(after: $a) { id } } }`,
        token: caller.token,
        ids: caller.refunds,
        foreign: other.refunds[0]!,
      },
      {
        name: 'User.purchases (nodes:read)',
        query: `query($a: ID) { User(id: "${caller.userId}") { list: purchases(after: $a) { id } } }`,
        token: reader,
        ids: caller.purchases,
        foreign: other.purchases[0]!,
      },
    ];
    const listed = async (query: string, token: string, after: string) => {
      const response = await app.graphql(query, { a: after }, token);
      expect(response.errors).toBeUndefined();
      const data = response.data!;
      return ((data.list ?? data.me?.list ?? data.Purchase?.list ?? data.User?.list) as { id: string }[]).map(
        (row) => row.id,
      );
    };
    for (const list of lists) {
      const foreign = await listed(list.query, list.token, list.foreign);
      const unknown = await listed(list.query, list.token, unknownNextTo(list.foreign));
      expect(foreign, list.name).toEqual(unknown);
      // Every row of the caller's that sorts after the cursor is on the page, none skipped.
      expect(foreign, list.name).toEqual(list.ids.filter((id) => id > list.foreign).sort());
    }
    // The other user's rows came first: a cursor of theirs lists all of the caller's.
    expect(await listed(lists[0]!.query, caller.token, other.purchases[0]!)).toEqual([...caller.purchases].sort());
  });

  it('a cursor of the caller keeps paging, and a page after the last row is empty', async () => {
    const caller = await shopper(3);
    const query = 'query($a: ID) { allPurchases(first: 1, after: $a) { id } }';
    const seen: string[] = [];
    for (let after: string | undefined; ;) {
      const page = (await app.graphql(query, { a: after }, caller.token)).data!.allPurchases as { id: string }[];
      if (page.length === 0) break;
      seen.push(page[0]!.id);
      after = page[0]!.id;
    }
    expect(seen).toEqual([...caller.purchases].sort());
  });

  it('callbackDeliveries: a cursor outside the filter loses no row; a cursor that names no delivery is refused', async () => {
    const admin = await app.accessToken('callbacks:admin');
    await shopper(2);
    const deliveries = await app.db.callbackDelivery.findMany({
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { id: true, callback: true },
    });
    // The newest card delivery: purchase deliveries older than it follow it in the newest-first order.
    const cardCursor = deliveries.find((row) => row.callback === 'onCard')!;
    const expected = deliveries
      .slice(deliveries.indexOf(cardCursor) + 1)
      .filter((row) => row.callback === 'onPurchase')
      .map((row) => row.id);
    const query = 'query($a: ID) { callbackDeliveries(callback: "onPurchase", after: $a, first: 100) { id } }';
    const page = await app.graphql(query, { a: cardCursor.id }, admin);
    expect(page.errors).toBeUndefined();
    expect(page.data!.callbackDeliveries.map((row: { id: string }) => row.id)).toEqual(expected);

    const unknown = await app.graphql(query, { a: '00000000-0000-4000-8000-000000000000' }, admin);
    expect(codesOf(unknown)).toEqual(['BAD_USER_INPUT']);
    expect(unknown.errors![0]!.extensions!.reason).toBe('INVALID_CURSOR');
  });
});
