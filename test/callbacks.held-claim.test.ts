import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryClaimer, retryAfterLease } from '../src/callbacks/store/claims.js';
import { queueJobFor } from '../src/callbacks/store/delivery-job.js';
import { wakeDeliveries } from '../src/callbacks/store/new-deliveries.js';
import { untilSomeoneWaitsForALock } from './support/database.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';

let app: TestPaygraph;
let user: { userId: string; token: string };

// A charge callback and no worker: the deliveries stay where each test puts them.
beforeAll(async () => {
  app = await startTestPaygraph({
    roles: { api: true, worker: false },
    callbacksYaml:
      'callbacks:\n  charge:\n    trigger: Purchase.created\n    url: http://127.0.0.1:9/never\n    payload: "{ createdNode { id } }"\n',
  });
  user = await app.signUp();
});
afterAll(async () => {
  await app?.stop();
});

/** A purchase of the user's, and its charge's pending delivery. */
const pendingCharge = async () => {
  const created = await app.graphql(
    'mutation($u: ID!) { createPurchase(amount: 700, description: "held", userId: $u) { id } }',
    { u: user.userId },
    user.token,
  );
  const purchaseId = created.data!.createPurchase.id as string;
  const { rows } = await app.pool.query<{ id: string }>('select id from callback_delivery where node_id = $1', [
    purchaseId,
  ]);
  return { purchaseId, deliveryId: rows[0]!.id };
};

// A claim commits its lease without waiting for the disk (store/claims.ts). What that must not cost:
// the lease still keeps a second worker off the delivery, and the connection it ran on keeps writing
// durably for whatever comes next on it (an operator's secret rotation, say).
describe('callbacks: a lease committed without waiting for the disk', () => {
  it('keeps a second worker off the delivery, and leaves its connection committing durably', async () => {
    const { deliveryId } = await pendingCharge();
    const worker = new pg.Pool({ connectionString: app.databaseUrl, max: 1 });
    try {
      const claimed = await deliveryClaimer(worker, 30_000)(deliveryId);
      expect(claimed?.id).toBe(deliveryId);
      expect(await deliveryClaimer(app.pool, 30_000)(deliveryId)).toBeUndefined();
      const { rows } = await worker.query<{ synchronous_commit: string }>('show synchronous_commit');
      expect(rows[0]!.synchronous_commit).toBe('on');
    } finally {
      await worker.end();
    }
  });
});

// A delivery's job that finds another run holding the delivery (a wake-up's job, say, while the
// attempt it woke is still in flight) comes back later. When it comes back decides how long a
// woken charge waits: the card it waited for was saved while its attempt ran, and the attempt's
// record said "go again now".
describe('callbacks: a job that finds its delivery held', () => {
  /** A pending delivery in the given state; its job's run time, in ms from now, after retryAfterLease. */
  const jobDelayAfterHeldClaim = async (state: string): Promise<number> => {
    const { deliveryId } = await pendingCharge();
    await app.pool.query(`update callback_delivery set attempts = 1, ${state} where id = $1`, [deliveryId]);
    await retryAfterLease(app.pool, deliveryId);
    const job = await app.pool.query<{ delay_ms: number }>(
      'select extract(epoch from (run_at - now())) * 1000 as delay_ms from graphile_worker.jobs where key = $1',
      [deliveryId],
    );
    return Number(job.rows[0]!.delay_ms);
  };

  it('while the lease is held, it comes back within a second, sooner if the lease ends sooner', async () => {
    expect(
      await jobDelayAfterHeldClaim(`leased_until = now() + interval '30 seconds', next_attempt_at = null`),
    ).toBeGreaterThan(900);
    expect(
      await jobDelayAfterHeldClaim(`leased_until = now() + interval '300 milliseconds', next_attempt_at = null`),
    ).toBeLessThanOrEqual(300);
  });

  it('once the holder has recorded "go again now" (woken while it ran), it goes at once, not a second later', async () => {
    expect(await jobDelayAfterHeldClaim(`leased_until = null, next_attempt_at = now()`)).toBeLessThanOrEqual(0);
  });

  it('once the holder has recorded a retry for later, that time stands', async () => {
    const delay = await jobDelayAfterHeldClaim(`leased_until = null, next_attempt_at = now() + interval '1 minute'`);
    expect(delay).toBeGreaterThan(59_000);
    expect(delay).toBeLessThanOrEqual(60_000);
  });

  it('waits for a record in progress before it touches the job, so the record queues its retry without waiting', async () => {
    const { deliveryId } = await pendingCharge();
    // The holder's record, as store/attempts.ts writes it: the delivery row first, then its job.
    const record = new pg.Client({ connectionString: app.databaseUrl });
    await record.connect();
    try {
      await record.query('begin');
      await record.query(
        `update callback_delivery set attempts = 1, leased_until = null, next_attempt_at = now() + interval '1 minute' where id = $1`,
        [deliveryId],
      );
      const retried = retryAfterLease(app.pool, deliveryId);
      await untilSomeoneWaitsForALock(app.databaseUrl);
      // Waiting here for the job row would be half a deadlock (PostgreSQL broke it after a second).
      await record.query("set local lock_timeout = '500ms'");
      await record.query(`select ${queueJobFor('d', `d.next_attempt_at`)} from callback_delivery d where id = $1`, [
        deliveryId,
      ]);
      await record.query('commit');
      await retried;
    } finally {
      await record.end();
    }
    const job = await app.pool.query<{ delay_ms: number }>(
      'select extract(epoch from (run_at - now())) * 1000 as delay_ms from graphile_worker.jobs where key = $1',
      [deliveryId],
    );
    expect(job.rows).toHaveLength(1);
    // The retry the record asked for stands: the held-claim job read the row the record left.
    expect(Number(job.rows[0]!.delay_ms)).toBeGreaterThan(59_000);
  });
});

// A saved card wakes its owner's waiting charges (payments/wake-charges.ts) while an attempt's record
// may be moving some of them. The record locks deliveries in id order; if the wake took them in any
// other order, the two could wait for each other, and PostgreSQL would fail one after a second (the
// card's write-back, or the record).
describe("callbacks: waking a user's waiting charges", () => {
  it('takes them in id order, as a record does: a record holding the first and then taking the second never deadlocks with it', async () => {
    // Two charges whose deliveries' ids run against the order of their purchases (the order a scan by
    // node finds them in), so a wake in any other order would take the later id first.
    let charges: Awaited<ReturnType<typeof pendingCharge>>[] = [];
    for (
      let tries = 0;
      tries < 30 && !(charges.length === 2 && charges[0]!.deliveryId > charges[1]!.deliveryId);
      tries++
    ) {
      charges = [await pendingCharge(), await pendingCharge()];
    }
    expect(charges[0]!.deliveryId > charges[1]!.deliveryId).toBe(true);
    const [second, first] = charges.map((charge) => charge.deliveryId);

    const record = new pg.Client({ connectionString: app.databaseUrl });
    await record.connect();
    try {
      await record.query('begin');
      await record.query('select id from callback_delivery where id = $1 for update', [first]);
      const woken = app.db
        .$transaction((tx) =>
          wakeDeliveries(
            tx,
            'Purchase.created',
            charges.map((charge) => charge.purchaseId),
          ),
        )
        .then(
          () => 'woken',
          (error: unknown) => error,
        );
      await untilSomeoneWaitsForALock(app.databaseUrl);
      // The wake waits for the first without holding the second: the record takes it and finishes.
      await record.query('select id from callback_delivery where id = $1 for update', [second]);
      await record.query('commit');
      expect(await woken).toBe('woken');
    } finally {
      await record.end();
    }
    const { rows } = await app.pool.query<{ id: string }>(
      'select id from callback_delivery where id = any($1::uuid[]) and woken_at is not null',
      [[first, second]],
    );
    expect(rows).toHaveLength(2);
  });
});
