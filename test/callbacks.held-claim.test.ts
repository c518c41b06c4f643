import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryAfterLease } from '../src/callbacks/store/claims.js';
import { queueJobFor } from '../src/callbacks/store/delivery-job.js';
import { untilSomeoneWaitsForALock } from './support/database.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';

// A delivery's job that finds another run holding the delivery (a wake-up's job, say, while the
// attempt it woke is still in flight) comes back later. When it comes back decides how long a
// woken charge waits: the card it waited for was saved while its attempt ran, and the attempt's
// record said "go again now". No worker runs here, so the job stays where the statement put it.
describe('callbacks: a job that finds its delivery held', () => {
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

  /** A pending delivery in the given state; its job's run time, in ms from now, after retryAfterLease. */
  const jobDelayAfterHeldClaim = async (state: string): Promise<number> => {
    const created = await app.graphql('mutation($u: ID!) { createPurchase(amount: 700, description: "held", userId: $u) { id } }', { u: user.userId }, user.token);
    const purchaseId = created.data!.createPurchase.id as string;
    const { rows } = await app.pool.query<{ id: string }>(`update callback_delivery set attempts = 1, ${state} where node_id = $1 returning id`, [purchaseId]);
    const deliveryId = rows[0]!.id;
    await retryAfterLease(app.pool, deliveryId);
    const job = await app.pool.query<{ delay_ms: number }>(
      'select extract(epoch from (run_at - now())) * 1000 as delay_ms from graphile_worker.jobs where key = $1',
      [deliveryId],
    );
    return Number(job.rows[0]!.delay_ms);
  };

  it('while the lease is held, it comes back within a second, sooner if the lease ends sooner', async () => {
    expect(await jobDelayAfterHeldClaim(`leased_until = now() + interval '30 seconds', next_attempt_at = null`)).toBeGreaterThan(900);
    expect(await jobDelayAfterHeldClaim(`leased_until = now() + interval '300 milliseconds', next_attempt_at = null`)).toBeLessThanOrEqual(300);
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
    const created = await app.graphql('mutation($u: ID!) { createPurchase(amount: 700, description: "held", userId: $u) { id } }', { u: user.userId }, user.token);
    const { rows } = await app.pool.query<{ id: string }>('select id from callback_delivery where node_id = $1', [created.data!.createPurchase.id]);
    const deliveryId = rows[0]!.id;
    // The holder's record, as store/attempts.ts writes it: the delivery row first, then its job.
    const record = new pg.Client({ connectionString: app.databaseUrl });
    await record.connect();
    try {
      await record.query('begin');
      await record.query(`update callback_delivery set attempts = 1, leased_until = null, next_attempt_at = now() + interval '1 minute' where id = $1`, [deliveryId]);
      const retried = retryAfterLease(app.pool, deliveryId);
      await untilSomeoneWaitsForALock(app.databaseUrl);
      // Waiting here for the job row would be half a deadlock (PostgreSQL broke it after a second).
      await record.query("set local lock_timeout = '500ms'");
      await record.query(`select ${queueJobFor('d', `d.next_attempt_at`)} from callback_delivery d where id = $1`, [deliveryId]);
      await record.query('commit');
      await retried;
    } finally {
      await record.end();
    }
    const job = await app.pool.query<{ delay_ms: number }>('select extract(epoch from (run_at - now())) * 1000 as delay_ms from graphile_worker.jobs where key = $1', [deliveryId]);
    expect(job.rows).toHaveLength(1);
    // The retry the record asked for stands: the held-claim job read the row the record left.
    expect(Number(job.rows[0]!.delay_ms)).toBeGreaterThan(59_000);
  });
});
