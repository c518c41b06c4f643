import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { eventually, startReceiver } from './support/receiver.js';

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
      env: { RECEIVER_URL: receiver.url, CALLBACK_RETENTION_SWEEP_MS: '100', CALLBACK_RETENTION_DAYS: '30', CALLBACK_DEAD_RETENTION_DAYS: '90' },
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
      const response = await app.graphql('mutation($u: ID!, $d: String!) { createPurchase(amount: 500, description: $d, userId: $u) { id } }', { u: user.userId, d: description }, user.token);
      ids.push(response.data!.createPurchase.id);
    }
    await eventually(
      async () => (await db.query(`select count(*)::int as n from callback_delivery where node_id = any($1) and status <> 'PENDING'`, [ids])).rows[0].n,
      (n) => n === count,
    );
    return ids;
  };
  const age = (ids: string[], days: number) =>
    db.query(`update callback_delivery set completed_at = now() - make_interval(days => $2) where node_id = any($1)`, [ids, days]);
  const countOf = async (ids: string[]) =>
    (await db.query(
      `select count(distinct d.id)::int as deliveries, count(a.id)::int as attempts
         from callback_delivery d left join callback_attempt a on a.delivery_id = d.id where d.node_id = any($1)`,
      [ids],
    )).rows[0] as { deliveries: number; attempts: number };

  it('keeps recent deliveries, and failed or dead ones until their own longer retention', async () => {
    const recent = await purchases('recent', 2);
    refused.add('failing');
    const failed = await purchases('failing', 2);
    await age(recent, 29);
    await age(failed.slice(0, 1), 31);
    await age(failed.slice(1), 91);
    await eventually(() => countOf(failed.slice(1)), (count) => count.deliveries === 0);
    expect((await countOf(failed.slice(0, 1))).deliveries).toBe(1);
    expect((await countOf(recent)).deliveries).toBe(2);
  });
});
