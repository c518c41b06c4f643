import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WriteBehindClient } from '../src/db/write-behind.js';
import { codesOf, startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { startReceiver } from './support/receiver.js';

/**
 * The outbox's insert and an Idempotency-Key's saved answer ride with the transaction's COMMIT
 * (src/db/write-behind.ts). Riding along must not weaken the outbox: when that insert fails, the
 * COMMIT it rode with rolls back, and the client hears of it.
 */
describe('outbox written behind, with the COMMIT', () => {
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let admin: pg.Client;
  let user: { userId: string; token: string };
  beforeAll(async () => {
    receiver = await startReceiver();
    app = await startTestPaygraph({
      roles: { api: true, worker: false },
      env: { RECEIVER_URL: receiver.url },
      callbacksYaml: `callbacks:
  onPurchase:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id } }"
`,
    });
    admin = new pg.Client({ connectionString: app.databaseUrl });
    await admin.connect();
    user = await app.signUp();
  });
  afterAll(async () => {
    await admin.end();
    await app.stop();
    await receiver.close();
  });

  const create = (description: string, key?: string) =>
    fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${user.token}`,
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: JSON.stringify({
        query: 'mutation($u: ID!, $d: String!) { createPurchase(amount: 100, description: $d, userId: $u) { id } }',
        variables: { u: user.userId, d: description },
      }),
    }).then(async (response) => ({
      replayed: response.headers.get('idempotent-replayed'),
      body: (await response.json()) as { data?: any; errors?: any[] },
    }));
  const rows = async (description: string) => ({
    purchases: Number(
      (await admin.query('select count(*) from "Purchase" where description = $1', [description])).rows[0].count,
    ),
    deliveries: Number(
      (
        await admin.query(
          'select count(*) from callback_delivery d join "Purchase" p on p.id = d.node_id where p.description = $1',
          [description],
        )
      ).rows[0].count,
    ),
  });

  it('a committed mutation has its delivery, and the insert did ride behind', async () => {
    let deferred = 0;
    const defer = WriteBehindClient.prototype.defer;
    WriteBehindClient.prototype.defer = function counted(this: WriteBehindClient, statement) {
      deferred++;
      return defer.call(this, statement);
    };
    try {
      const { body } = await create('rides along', 'key-rides-along');
      expect(body.errors).toBeUndefined();
    } finally {
      WriteBehindClient.prototype.defer = defer;
    }
    expect(deferred).toBe(2); // the delivery and the saved answer
    expect(await rows('rides along')).toEqual({ purchases: 1, deliveries: 1 });
  });

  it('an outbox insert that fails rolls the COMMIT back: no row, no delivery, no remembered key', async () => {
    await admin.query(
      `create function refuse_delivery() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$`,
    );
    await admin.query(
      'create trigger refuse_delivery before insert on callback_delivery for each row execute function refuse_delivery()',
    );
    try {
      const { body } = await create('refused outbox', 'key-refused-outbox');
      expect(body.data?.createPurchase ?? null).toBeNull();
      expect(codesOf(body as never)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(JSON.stringify(body)).not.toMatch(/refused|callback_delivery|insert/i);
      expect(await rows('refused outbox')).toEqual({ purchases: 0, deliveries: 0 });
    } finally {
      await admin.query('drop trigger refuse_delivery on callback_delivery');
      await admin.query('drop function refuse_delivery()');
    }
    // The connection that failed is fit for the next request, and the key was not remembered: the retry runs.
    const retry = await create('refused outbox', 'key-refused-outbox');
    expect(retry.body.errors).toBeUndefined();
    expect(retry.replayed).toBeNull();
    expect(await rows('refused outbox')).toEqual({ purchases: 1, deliveries: 1 });
  });

  it('a mutation refused before its first statement (BEGIN and ROLLBACK never sent) leaves its connection fit for the next', async () => {
    // Refused by its permission rule before any SQL: BEGIN was never sent, so neither is ROLLBACK.
    const other = await app.signUp();
    const response = await app.graphql(
      'mutation($u: ID!) { createPurchase(amount: 100, description: "not yours", userId: $u) { id } }',
      { u: other.userId },
      user.token,
    );
    expect(codesOf(response)).toEqual(['FORBIDDEN']);
    expect((await create('after a refusal')).body.errors).toBeUndefined();
    expect(await rows('after a refusal')).toEqual({ purchases: 1, deliveries: 1 });
  });
});
