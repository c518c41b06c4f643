import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wakeDeliveries } from '../src/callbacks/store/new-deliveries.js';
import { untilSomeoneWaitsForALock } from './support/database.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';

// A saved card wakes its owner's waiting charges (payments/wake-charges.ts) while an attempt's record
// may be moving some of them. The record locks deliveries in id order; if the wake took them in any
// other order, the two could wait for each other, and PostgreSQL would fail one after a second (the
// card's write-back, or the record). No worker runs here, so the deliveries stay where the test puts them.
describe('callbacks: waking a user\'s waiting charges', () => {
  let app: TestPaygraph;
  let user: { userId: string; token: string };

  beforeAll(async () => {
    app = await startTestPaygraph({
      roles: { api: true, worker: false },
      callbacksYaml: 'callbacks:\n  charge:\n    trigger: Purchase.created\n    url: http://127.0.0.1:9/never\n    payload: "{ createdNode { id } }"\n',
    });
    user = await app.signUp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  const waitingCharge = async () => {
    const created = await app.graphql('mutation($u: ID!) { createPurchase(amount: 700, description: "waiting", userId: $u) { id } }', { u: user.userId }, user.token);
    const purchaseId = created.data!.createPurchase.id as string;
    const { rows } = await app.pool.query<{ id: string }>('select id from callback_delivery where node_id = $1', [purchaseId]);
    return { purchaseId, deliveryId: rows[0]!.id };
  };

  it('takes them in id order, as a record does: a record holding the first and then taking the second never deadlocks with it', async () => {
    // Two charges whose deliveries' ids run against the order of their purchases (the order a scan by
    // node finds them in), so a wake in any other order would take the later id first.
    let charges: Awaited<ReturnType<typeof waitingCharge>>[] = [];
    for (let tries = 0; tries < 30 && !(charges.length === 2 && charges[0]!.deliveryId > charges[1]!.deliveryId); tries++) {
      charges = [await waitingCharge(), await waitingCharge()];
    }
    expect(charges[0]!.deliveryId > charges[1]!.deliveryId).toBe(true);
    const [second, first] = charges.map((charge) => charge.deliveryId);

    const record = new pg.Client({ connectionString: app.databaseUrl });
    await record.connect();
    try {
      await record.query('begin');
      await record.query('select id from callback_delivery where id = $1 for update', [first]);
      const woken = app.db
        .$transaction((tx) => wakeDeliveries(tx, 'Purchase.created', charges.map((charge) => charge.purchaseId)))
        .then(() => 'woken', (error: unknown) => error);
      await untilSomeoneWaitsForALock(app.databaseUrl);
      // The wake waits for the first without holding the second: the record takes it and finishes.
      await record.query('select id from callback_delivery where id = $1 for update', [second]);
      await record.query('commit');
      expect(await woken).toBe('woken');
    } finally {
      await record.end();
    }
    const { rows } = await app.pool.query<{ id: string }>('select id from callback_delivery where id = any($1::uuid[]) and woken_at is not null', [[first, second]]);
    expect(rows).toHaveLength(2);
  });
});
