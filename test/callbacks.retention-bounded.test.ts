import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver } from './support/receiver.js';

// The proof that retention bounds the tables under a steady load: the same rounds of events, each
// aged past retention after it is delivered, on two Paygraphs, one whose sweep never runs in the
// test's time and one sweeping every 100 ms. Rows are counted after every round.
const ROUNDS = 3;
const EVENTS_PER_ROUND = 15;

const callbacksYaml = `callbacks:
  plain:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id } }"
  # One graphile-worker queue per purchase: finished ones are what the sweep's GC_JOB_QUEUES removes.
  inOrder:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    ordered: true
    payload: "{ createdNode { id } }"
`;

interface Sizes {
  deliveries: number;
  attempts: number;
  jobs: number;
  queues: number;
}
/** Deliveries, attempts and jobs once a round is delivered; queues and deliveries once it is past retention. */
type Round = Sizes & { deliveriesAged: number };

// Two Paygraphs and 90 purchases: more than the default 30 s on a busy machine.
describe('callbacks: retention keeps the tables bounded', { timeout: 180_000 }, () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver?.close());

  async function steadyLoad(sweepMs: string): Promise<Round[]> {
    const app: TestPaygraph = await startTestPaygraph({
      env: { RECEIVER_URL: receiver.url, CALLBACK_RETENTION_SWEEP_MS: sweepMs },
      callbacksYaml,
    });
    const db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    // graphile-worker's public `jobs` view has no queue list; its queue table is read here only to measure it.
    const sizes = async (): Promise<Sizes> =>
      (
        await db.query<Sizes>(`select (select count(*)::int from callback_delivery) as deliveries, (select count(*)::int from callback_attempt) as attempts,
                                     (select count(*)::int from graphile_worker.jobs) as jobs, (select count(*)::int from graphile_worker._private_job_queues) as queues`)
      ).rows[0]!;
    try {
      const user = await app.signUp();
      const after: Round[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const ids: string[] = [];
        for (let i = 0; i < EVENTS_PER_ROUND; i++) {
          const created = await app.graphql(
            'mutation($u: ID!) { createPurchase(amount: 500, description: "steady", userId: $u) { id } }',
            { u: user.userId },
            user.token,
          );
          ids.push(created.data!.createPurchase.id);
        }
        await eventually(
          async () =>
            (
              await db.query(
                `select count(*)::int as n from callback_delivery where node_id = any($1) and status = 'DELIVERED'`,
                [ids],
              )
            ).rows[0].n,
          (n) => n === 2 * EVENTS_PER_ROUND,
        );
        const loaded = await eventually(sizes, (now) => now.jobs === 0);
        // Thirty-one days pass for this round.
        await db.query(
          `update callback_delivery set completed_at = now() - interval '31 days' where node_id = any($1)`,
          [ids],
        );
        const aged =
          sweepMs === SWEEPING
            ? await eventually(sizes, (now) => now.deliveries === 0 && now.queues === 0)
            : await sizes();
        after.push({ ...loaded, queues: aged.queues, deliveriesAged: aged.deliveries });
      }
      return after;
    } finally {
      await db.end();
      await app.stop();
    }
  }
  const SWEEPING = '100';
  const NOT_IN_THIS_TEST = '3600000';

  it('without a sweep every round stays; with one, each round is gone once past retention, queues of ordered callbacks too', async () => {
    const without = await steadyLoad(NOT_IN_THIS_TEST);
    const withRetention = await steadyLoad(SWEEPING);
    console.table({
      ...Object.fromEntries(without.map((s, i) => [`without retention, after round ${i + 1}`, s])),
      ...Object.fromEntries(withRetention.map((s, i) => [`with retention, after round ${i + 1}`, s])),
    });
    // Two callbacks, one attempt each: every event leaves 2 deliveries, 2 attempts and 1 queue behind it.
    expect(without).toEqual(
      [1, 2, 3].map((n) => ({ deliveries: 30 * n, attempts: 30 * n, jobs: 0, queues: 15 * n, deliveriesAged: 30 * n })),
    );
    expect(withRetention).toEqual(
      [1, 2, 3].map(() => ({ deliveries: 30, attempts: 30, jobs: 0, queues: 0, deliveriesAged: 0 })),
    );
  });
});
