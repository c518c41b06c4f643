import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { freePort } from '../packages/base/free-port.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { TEST_SIGNING_SECRET } from '../packages/testing/signing-secret.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver, verifySignature, type ReceivedCallback } from './support/receiver.js';

// One API + worker, one receiver; each callback reacts only to purchases with its own description,
// so every scenario below is independent of the others.
const scenario = (name: string, extra = '', url = '${RECEIVER_URL}') => `
  ${name}:
    trigger: Purchase.created
    url: ${url}
    payload: "{ createdNode { id amount description user { id stripeId } } }"
    when: { node: { description: ${name} } }
${(extra.includes('maxAttempts') ? extra : `maxAttempts: 4\n${extra}`).replace(/^/gm, '    ')}`;

describe('mutation callbacks: delivery', () => {
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let user: { userId: string; token: string };
  let downPort: number;
  const scripted = new Map<string, (index: number) => number | 'hang'>();
  const calls = new Map<string, number>();

  beforeAll(async () => {
    receiver = await startReceiver((request, _index, res) => {
      const key =
        request.body.data?.createdNode?.description ?? `${request.body.event.callback}:${request.body.event.nodeId}`;
      const n = calls.get(key) ?? 0;
      calls.set(key, n + 1);
      const answer = scripted.get(key)?.(n) ?? 200;
      if (answer === 'hang') return 'hang';
      res.writeHead(answer, answer === 429 ? { 'retry-after': '0' } : {}).end(`answer ${answer}`);
    });
    downPort = await freePort();
    const yaml = `callbacks:${[
      scenario('down', '', `http://127.0.0.1:${downPort}/hook`),
      scenario('signed'),
      scenario('flaky'),
      scenario('badrequest'),
      scenario('gone'),
      scenario('slow', 'timeout: 300ms'),
      scenario('doomed', 'maxAttempts: 2'),
      scenario('live'),
    ].join('')}
  paid:
    trigger: Purchase.updated
    url: \${RECEIVER_URL}
    payload: "{ updatedNode { id isPaid status } previousValues { isPaid status } changedFields }"
    when: { changed: [isPaid], node: { isPaid: true } }
  ordered:
    trigger: Purchase.updated
    url: \${RECEIVER_URL}
    ordered: true
    payload: "{ updatedNode { id } previousValues { failureCode } changedFields }"
    when: { changed: [failureCode] }
  removed:
    trigger: CardDetails.deleted
    url: \${RECEIVER_URL}
    payload: "{ deletedNode { id cardToken status } }"
`;
    app = await startTestPaygraph({ callbacksYaml: yaml, env: { RECEIVER_URL: receiver.url } });
    user = await app.signUp();
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
  });

  const receivedFor = (description: string) =>
    receiver.received.filter((request) => request.body.data?.createdNode?.description === description);
  const waitForCalls = (description: string, count: number) =>
    eventually(
      async () => receivedFor(description),
      (list) => list.length >= count,
    );
  const createPurchase = async (description: string, amount = 1999) => {
    const response = await app.graphql(
      'mutation($u: ID!, $d: String!, $a: Int!) { createPurchase(amount: $a, description: $d, userId: $u) { id } }',
      { u: user.userId, d: description, a: amount },
      user.token,
    );
    return response.data!.createPurchase.id as string;
  };
  const deliveryOf = (nodeId: string, callback?: string) =>
    app.db.callbackDelivery.findFirstOrThrow({
      where: { nodeId, ...(callback ? { callback } : {}) },
      include: { attemptLog: { orderBy: { attempt: 'asc' } } },
    });
  // A callback whose entry names no secret signs with its own, made at first start.
  const ownSecret = async (callback: string) =>
    (await app.pool.query<{ secret: string }>('select secret from callback_secret where callback = $1', [callback]))
      .rows[0]!.secret;
  const settled = (id: string) =>
    eventually(
      () => deliveryOf(id),
      (delivery) => delivery.status !== 'PENDING',
    );

  it("delivers a signed POST that verifies with the standardwebhooks package, with the callback's own secret", async () => {
    const id = await createPurchase('signed', 4200);
    const [request] = await waitForCalls('signed', 1);
    expect(verifySignature(request!, await ownSecret('signed'))).toEqual(request!.body);
    expect(await ownSecret('signed')).not.toBe(await ownSecret('flaky'));
    expect(() => verifySignature(request!, TEST_SIGNING_SECRET)).toThrow();
    expect(request!.body).toEqual({
      data: { createdNode: { id, amount: 4200, description: 'signed', user: { id: user.userId, stripeId: null } } },
      event: {
        id: request!.headers['webhook-id'],
        callback: 'signed',
        trigger: 'Purchase.created',
        nodeId: id,
        createdAt: expect.any(String),
        attempt: 1,
      },
    });
    expect((await settled(id)).status).toBe('DELIVERED');
  });

  it('a forged or stale signature does not verify', async () => {
    const [request] = await waitForCalls('signed', 1);
    const secret = await ownSecret('signed');
    const forged: ReceivedCallback = { ...request!, rawBody: request!.rawBody.replace('4200', '1') };
    expect(() => verifySignature(forged, secret)).toThrow();
    expect(() =>
      verifySignature(request!, `whsec_${Buffer.from('another-secret-of-32-bytes-long!').toString('base64')}`),
    ).toThrow();
    const stale = { ...request!, headers: { ...request!.headers } };
    const oldTimestamp = new Date(Date.now() - 3600_000);
    stale.headers['webhook-timestamp'] = String(Math.floor(oldTimestamp.getTime() / 1000));
    stale.headers['webhook-signature'] = new Webhook(secret).sign(
      String(request!.headers['webhook-id']),
      oldTimestamp,
      request!.rawBody,
    );
    expect(() => verifySignature(stale, secret)).toThrow(/timestamp/i);
  });

  it('500 then 200 is one delivery with two attempts and the same webhook-id', async () => {
    scripted.set('flaky', (n) => (n === 0 ? 500 : 200));
    const id = await createPurchase('flaky');
    const delivery = await settled(id);
    expect(delivery.status).toBe('DELIVERED');
    expect(delivery.attemptLog.map((attempt) => [attempt.httpStatus, attempt.outcome])).toEqual([
      [500, 'retry'],
      [200, 'delivered'],
    ]);
    const requests = receivedFor('flaky');
    expect(requests).toHaveLength(2);
    expect(new Set(requests.map((request) => request.headers['webhook-id'])).size).toBe(1);
    expect(requests.map((request) => request.body.event.attempt)).toEqual([1, 2]);
  });

  it.each([
    ['badrequest', 400],
    ['gone', 410],
  ])('%s (%i) fails at once, without a retry', async (description, status) => {
    scripted.set(description, () => status);
    const id = await createPurchase(description);
    const delivery = await settled(id);
    expect(delivery.status).toBe('FAILED');
    expect(delivery.attemptLog).toHaveLength(1);
    expect(delivery.attemptLog[0]).toMatchObject({
      httpStatus: status,
      outcome: 'failed',
      response: `answer ${status}`,
    });
    expect(receivedFor(description)).toHaveLength(1);
  });

  it('a receiver that hangs is timed out and retried', async () => {
    scripted.set('slow', (n) => (n === 0 ? 'hang' : 200));
    const id = await createPurchase('slow');
    const delivery = await settled(id);
    expect(delivery.status).toBe('DELIVERED');
    expect(delivery.attemptLog[0]).toMatchObject({
      httpStatus: null,
      outcome: 'retry',
      error: expect.stringMatching(/timed out/),
    });
    expect(delivery.attemptLog[0]!.durationMs).toBeGreaterThanOrEqual(250);
  });

  it('a receiver that is down gets the delivery once it is back', async () => {
    const id = await createPurchase('down');
    const refused = await eventually(
      () => deliveryOf(id),
      (delivery) => delivery.attemptLog.length >= 1,
    );
    expect(refused.attemptLog[0]).toMatchObject({ httpStatus: null, outcome: 'retry', error: 'ECONNREFUSED' });
    const comeback = await startReceiver(() => undefined, downPort);
    try {
      const [request] = await comeback.waitFor(1);
      expect(request!.body.data.createdNode.id).toBe(id);
      expect((await settled(id)).status).toBe('DELIVERED');
    } finally {
      await comeback.close();
    }
  });

  it('after maxAttempts a delivery is dead, kept and listed; redelivery sends it again', async () => {
    scripted.set('doomed', (n) => (n < 2 ? 503 : 200));
    const id = await createPurchase('doomed');
    const dead = await settled(id);
    expect(dead.status).toBe('DEAD');
    expect(dead.attemptLog.map((attempt) => attempt.outcome)).toEqual(['retry', 'dead']);

    const admin = await app.accessToken('callbacks:admin');
    const listed = await app.graphql('{ callbackDeliveries(status: DEAD) { id nodeId callback attempts } }', {}, admin);
    expect(listed.data!.callbackDeliveries).toContainEqual({
      id: dead.id,
      nodeId: id,
      callback: 'doomed',
      attempts: 2,
    });

    const redelivered = await app.graphql(`mutation { redeliverCallback(id: "${dead.id}") { status } }`, {}, admin);
    expect(redelivered.errors).toBeUndefined();
    const delivered = await eventually(
      () => deliveryOf(id),
      (delivery) => delivery.status === 'DELIVERED',
    );
    expect(delivered.attemptLog.map((attempt) => attempt.outcome)).toEqual(['retry', 'dead', 'delivered']);
    expect(receivedFor('doomed').map((request) => request.body.event.attempt)).toEqual([1, 2, 3]);
  });

  it('the payload is read at delivery time: a retry sees what changed since the commit', async () => {
    scripted.set('live', (n) => (n === 0 ? 503 : 200));
    const id = await createPurchase('live');
    await waitForCalls('live', 1);
    await app.db.user.update({ where: { id: user.userId }, data: { stripeId: 'cus_LIVE' } });
    const [first, second] = await waitForCalls('live', 2);
    expect(first!.body.data.createdNode.user.stripeId).toBeNull();
    expect(second!.body.data.createdNode.user.stripeId).toBe('cus_LIVE');
    await app.db.user.update({ where: { id: user.userId }, data: { stripeId: null } });
    expect(id).toBe(second!.body.event.nodeId);
  });

  it('a deleted node is sent from the snapshot taken at commit', async () => {
    const card = await app.graphql(
      'mutation($u: ID!) { createCardDetails(cardToken: "tok_amex", userId: $u) { id } }',
      { u: user.userId },
      user.token,
    );
    const cardId = card.data!.createCardDetails.id;
    await app.graphql(`mutation { deleteCardDetails(id: "${cardId}") { id } }`, {}, user.token);
    const request = await eventually(
      async () => receiver.received.find((r) => r.body.event.callback === 'removed' && r.body.event.nodeId === cardId),
      Boolean,
    );
    expect(request!.body.data).toEqual({ deletedNode: { id: cardId, cardToken: 'tok_amex', status: 'PENDING' } });
  });

  it('`when` fires only when its condition holds, so a write-back does not call itself again', async () => {
    const id = await createPurchase('conditions');
    const settle = await app.accessToken('purchases:settle');
    await app.graphql(
      `mutation { updatePurchase(id: "${id}", failureCode: "card_declined", status: FAILED) { id } }`,
      {},
      settle,
    );
    await app.graphql(
      `mutation { updatePurchase(id: "${id}", isPaid: true, stripeChargeId: "ch_1") { id } }`,
      {},
      settle,
    );
    await app.graphql(
      `mutation { updatePurchase(id: "${id}", isPaid: true, stripeChargeId: "ch_1") { id } }`,
      {},
      settle,
    );
    const paid = await eventually(
      async () => receiver.received.filter((r) => r.body.event.callback === 'paid' && r.body.event.nodeId === id),
      (list) => list.length >= 1,
    );
    expect(paid).toHaveLength(1);
    expect(paid[0]!.body.data).toEqual({
      updatedNode: { id, isPaid: true, status: 'PAID' },
      previousValues: { isPaid: false, status: 'FAILED' },
      changedFields: expect.arrayContaining(['isPaid', 'status', 'stripeChargeId', 'paidAt']),
    });
    expect(await app.db.callbackDelivery.count({ where: { nodeId: id, callback: 'paid' } })).toBe(1);
  });

  it("the commit-time snapshot keeps no owner-only field: a paid purchase's client secret is neither stored nor sent", async () => {
    const id = await createPurchase('owner-only');
    const settle = await app.accessToken('purchases:settle');
    const waiting = await app.graphql(
      `mutation { updatePurchase(id: "${id}", status: REQUIRES_ACTION, stripePaymentIntentId: "pi_OwnerOnly", clientSecret: "pi_OwnerOnly_secret_abc") { id } }`,
      {},
      settle,
    );
    expect(waiting.errors).toBeUndefined();
    await app.graphql(
      `mutation { updatePurchase(id: "${id}", isPaid: true, status: PAID, stripeChargeId: "ch_OwnerOnly") { id } }`,
      {},
      settle,
    );
    const delivery = await eventually(
      () => deliveryOf(id, 'paid'),
      (paid) => paid.status !== 'PENDING',
    );
    expect(delivery.previousValues).toMatchObject({
      id,
      status: 'REQUIRES_ACTION',
      stripePaymentIntentId: 'pi_OwnerOnly',
    });
    expect(delivery.previousValues).not.toHaveProperty('clientSecret');
    expect(
      JSON.stringify(receiver.received.filter((r) => r.body.event.nodeId === id).map((r) => r.body)),
    ).not.toContain('_secret_');
  });

  it("`ordered` delivers one node's events in commit order, even when the first needs a retry", async () => {
    const id = await createPurchase('ordering');
    let first = true;
    scripted.set(`ordered:${id}`, () => (first ? ((first = false), 500) : 200));
    const settle = await app.accessToken('purchases:settle');
    for (const code of ['a', 'b', 'c', 'd']) {
      await app.graphql(`mutation { updatePurchase(id: "${id}", failureCode: "${code}") { id } }`, {}, settle);
    }
    const delivered = await eventually(
      async () => receiver.received.filter((r) => r.body.event.callback === 'ordered' && r.body.event.nodeId === id),
      (list) => list.length >= 5,
    );
    const seen = delivered.map((request) => request.body.data.previousValues.failureCode);
    expect(seen).toEqual([null, null, 'a', 'b', 'c']);
  });

  it('a refused mutation and a rolled-back transaction queue nothing', async () => {
    const before = await app.db.callbackDelivery.count();
    const refused = await app.graphql(
      'mutation($u: ID!) { createPurchase(amount: 100, description: "signed", isPaid: true, userId: $u) { id } }',
      { u: user.userId },
      user.token,
    );
    expect(refused.errors).toBeDefined();
    await expect(
      app.db.$transaction(async (tx) => {
        const purchase = await tx.purchase.create({ data: { amount: 5, description: 'signed', userId: user.userId } });
        await app.events.record(tx, { model: 'Purchase', operation: 'created', node: purchase });
        throw new Error('the mutation fails after its event was written');
      }),
    ).rejects.toThrow(/fails after/);
    expect(await app.db.callbackDelivery.count()).toBe(before);
    // Every delivery job is keyed by its delivery's id (store/delivery-job.ts), so the public view shows them.
    const { rows } = await app.pool.query(
      "select count(*)::int as jobs from graphile_worker.jobs where task_identifier = 'deliver-callback' and key not in (select id::text from callback_delivery)",
    );
    expect(rows[0].jobs).toBe(0);
  });

  it('duplicated jobs for one delivery send it once', async () => {
    const purchase = await app.db.$transaction(async (tx) => {
      const row = await tx.purchase.create({ data: { amount: 5, description: 'signed', userId: user.userId } });
      await app.events.record(tx, { model: 'Purchase', operation: 'created', node: row });
      // Three more jobs for the same delivery, without a key, committed with it: all four start together.
      await tx.$executeRaw`select graphile_worker.add_job('deliver-callback', json_build_object('id', id))
                             from callback_delivery, generate_series(1, 3) where node_id = ${row.id}`;
      return row;
    });
    await settled(purchase.id);
    // The extra jobs have no key, so only their payload (absent from the public `jobs` view) finds them.
    await eventually(
      () =>
        app.pool.query(
          `select count(*)::int as due from graphile_worker._private_jobs
                             where payload->>'id' = (select id::text from callback_delivery where node_id = $1)
                               and (run_at <= now() or locked_at is not null)`,
          [purchase.id],
        ),
      (result) => result.rows[0].due === 0,
    );
    expect(receiver.received.filter((r) => r.body.event.nodeId === purchase.id)).toHaveLength(1);
  });

  // A rolling deploy: a newer release's API commits a delivery of a callback this worker does not know yet.
  const unknownDelivery = async (nodeId: string, age = '0 seconds') =>
    (
      await app.pool.query<{ id: string }>(
        `insert into callback_delivery (callback, trigger, node_id, max_attempts, created_at)
       values ('chargePurchaseV2', 'Purchase.created', $1, 10, now() - $2::interval) returning id`,
        [nodeId, age],
      )
    ).rows[0]!.id;
  const deliveryById = (id: string) =>
    app.db.callbackDelivery.findUniqueOrThrow({ where: { id }, include: { attemptLog: true } });

  it('a delivery of a callback this worker does not know is held untried for a worker that knows it', async () => {
    const id = await unknownDelivery('unknown-new');
    const held = await eventually(
      () => deliveryById(id),
      (delivery) => delivery.status !== 'PENDING' || (delivery.nextAttemptAt?.getTime() ?? 0) > Date.now(),
    );
    expect(held).toMatchObject({ status: 'PENDING', attempts: 0, maxAttempts: 10, attemptLog: [] });
  });

  it('a delivery of a callback removed for longer than its whole retry span fails', async () => {
    const id = await unknownDelivery('unknown-old', '2 days');
    const failed = await eventually(
      () => deliveryById(id),
      (delivery) => delivery.status !== 'PENDING',
    );
    expect(failed.status).toBe('FAILED');
    expect(failed.attemptLog.map((attempt) => attempt.error)).toEqual([
      'callback "chargePurchaseV2" is no longer defined in the callbacks file',
    ]);
  });

  it('exposes Prometheus metrics for deliveries, attempts and the queue', async () => {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toMatch(/paygraph_callback_attempts_total\{callback="flaky",outcome="retry"\} 1/);
    expect(text).toMatch(/paygraph_callback_attempt_duration_seconds_bucket/);
    expect(text).toMatch(/paygraph_callback_queue_depth \d+/);
    expect(text).toMatch(/paygraph_callback_oldest_pending_seconds/);
  });
});
