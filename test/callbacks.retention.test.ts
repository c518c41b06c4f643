import { makeWorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectUnusedQueues } from '../src/callbacks/store/job-housekeeping.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver } from './support/receiver.js';

// Retention through real HTTP and PostgreSQL: events made by mutations, aged by moving their
// completion time back, removed by the worker's sweep in batches; dead ones are kept longer.
describe('callbacks: retention', () => {
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let db: pg.Client;
  let user: { userId: string; token: string };
  const refused = new Set<string>();

  beforeAll(async () => {
    receiver = await startReceiver((request, _index, res) => {
      if (refused.has(request.body.data?.createdNode?.description)) res.writeHead(400).end('no');
    });
    app = await startTestPaygraph({
      env: {
        RECEIVER_URL: receiver.url,
        CALLBACK_RETENTION_SWEEP_MS: '100',
        CALLBACK_RETENTION_DAYS: '30',
        CALLBACK_DEAD_RETENTION_DAYS: '90',
      },
      callbacksYaml: `callbacks:
  kept:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id description } }"
`,
    });
    db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    user = await app.signUp();
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
    await receiver?.close();
  });

  const purchases = async (description: string, count: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const response = await app.graphql(
        'mutation($u: ID!, $d: String!) { createPurchase(amount: 500, description: $d, userId: $u) { id } }',
        { u: user.userId, d: description },
        user.token,
      );
      ids.push(response.data!.createPurchase.id);
    }
    await eventually(
      async () =>
        (
          await db.query(
            `select count(*)::int as n from callback_delivery where node_id = any($1) and status <> 'PENDING'`,
            [ids],
          )
        ).rows[0].n,
      (n) => n === count,
    );
    return ids;
  };
  const age = (ids: string[], days: number) =>
    db.query(`update callback_delivery set completed_at = now() - make_interval(days => $2) where node_id = any($1)`, [
      ids,
      days,
    ]);
  const countOf = async (ids: string[]) =>
    (
      await db.query(
        `select count(distinct d.id)::int as deliveries, count(a.id)::int as attempts
         from callback_delivery d left join callback_attempt a on a.delivery_id = d.id where d.node_id = any($1)`,
        [ids],
      )
    ).rows[0] as { deliveries: number; attempts: number };

  it('keeps recent deliveries, and failed or dead ones until their own longer retention', async () => {
    const recent = await purchases('recent', 2);
    refused.add('failing');
    const failed = await purchases('failing', 2);
    await age(recent, 29);
    await age(failed.slice(0, 1), 31);
    await age(failed.slice(1), 91);
    await eventually(
      () => countOf(failed.slice(1)),
      (count) => count.deliveries === 0,
    );
    expect((await countOf(failed.slice(0, 1))).deliveries).toBe(1);
    expect((await countOf(recent)).deliveries).toBe(2);
  });
});

// The sweep's queue collection cannot see a job its mutation has not committed yet, so it can drop an
// `ordered` node's queue under it. Here the test runs it at that moment (the worker's own sweep is off).
describe('callbacks: retention beside a mutation still open', () => {
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver(() => undefined);
    app = await startTestPaygraph({
      // A short grace and timeout: the worker's safety net looks for lost jobs every few seconds.
      env: { RECEIVER_URL: receiver.url, CALLBACK_RETENTION_SWEEP_MS: '3600000', STALE_LOCK_GRACE_MS: '1000' },
      callbacksYaml: `callbacks:
  inOrder:
    trigger: Purchase.updated
    url: \${RECEIVER_URL}
    ordered: true
    payload: "{ updatedNode { id failureCode } }"
    when: { changed: [failureCode] }
    timeout: 1s
`,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  it("an ordered event is still delivered when the sweep dropped its node's queue before the event committed", async () => {
    const user = await app.signUp();
    const created = await app.graphql(
      'mutation($u: ID!) { createPurchase(amount: 500, description: "ordered", userId: $u) { id } }',
      { u: user.userId },
      user.token,
    );
    const id = created.data!.createPurchase.id as string;
    const settle = await app.accessToken('purchases:settle');
    await app.graphql(`mutation { updatePurchase(id: "${id}", failureCode: "first") { id } }`, {}, settle);
    const sent = (code: string) =>
      receiver.received.filter(
        (r) => r.body.event.callback === 'inOrder' && r.body.data?.updatedNode?.failureCode === code,
      );
    await eventually(
      async () => sent('first'),
      (list) => list.length === 1,
    );
    // The first event's job is done: the node's queue is empty, so the sweep may drop it.
    await eventually(
      async () =>
        (
          await app.pool.query(`select count(*)::int as n from graphile_worker.jobs where queue_name = $1`, [
            `callback:inOrder:${id}`,
          ])
        ).rows[0].n,
      (n) => n === 0,
    );
    const utils = await makeWorkerUtils({ pgPool: app.pool });
    try {
      await app.db.$transaction(async (tx) => {
        const previous = await tx.purchase.findUniqueOrThrow({ where: { id } });
        const node = await tx.purchase.update({ where: { id }, data: { failureCode: 'second' } });
        await app.events.record(tx, { model: 'Purchase', operation: 'updated', node, previous });
        await tx.$queryRaw`select 1`; // the outbox statement has run: the job is queued, not committed
        await collectUnusedQueues(utils);
      });
    } finally {
      await utils.release();
    }
    const { rows } = await app.pool.query(
      `select queue_name from graphile_worker.jobs
        where key = (select id::text from callback_delivery where node_id = $1 and status = 'PENDING')`,
      [id],
    );
    expect(rows).toEqual([{ queue_name: null }]); // the race happened: the committed job's queue is gone
    // Sent once the worker's safety net finds it overdue (a few seconds here).
    const [second] = await eventually(
      async () => sent('second'),
      (list) => list.length === 1,
      30_000,
    );
    expect(second!.body.event.nodeId).toBe(id);
  });
});
