import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver } from './support/receiver.js';

// Alerts and automatic disabling through real HTTP and PostgreSQL: a dead delivery and a disabled
// callback each reach the callbacks subscribed to CallbackDelivery.dead / .disabled; an alert that
// dies itself causes no further alert; disabled callbacks hold their deliveries until enabled again.
describe('callbacks: alerts and auto-disable', { timeout: 90_000 }, () => {
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let user: { userId: string; token: string };
  let admin: string;
  // What each description's endpoint answers; the pager answers 500 while `pagerDown`.
  const answers = new Map<string, number>();
  let pagerDown = false;

  beforeAll(async () => {
    receiver = await startReceiver((request, _index, res) => {
      const { callback } = request.body.event;
      if (callback === 'pager' || callback === 'pagerForDisabled') {
        if (pagerDown) res.writeHead(500).end('pager down');
        return;
      }
      const status = answers.get(request.body.data?.createdNode?.description) ?? 200;
      res.writeHead(status).end(status === 410 ? 'this endpoint is gone' : `answer ${status}`);
    });
    const shop = (name: string, extra = '') => `  ${name}:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id description } }"
    when: { node: { description: { in: [${name}, ${name}-2, ${name}-3] } } }
${extra}`;
    app = await startTestPaygraph({
      // Short timeouts make the worker's sweep (after the longest timeout plus the grace) run every 2 s.
      // Retries a second apart leave a delivery pending while its callback is switched off.
      env: { RECEIVER_URL: receiver.url, STALE_LOCK_GRACE_MS: '1000', CALLBACK_RETRY_BASE_MS: '1000' },
      callbacksYaml: `callbacks:
${shop('dying', '    timeout: 1s\n    maxAttempts: 2\n')}${shop('goner', '    timeout: 1s\n    maxAttempts: 5\n')}${shop('failing', '    timeout: 1s\n    maxAttempts: 5\n    disableAfterFailingFor: 1h\n')}  pager:
    trigger: CallbackDelivery.dead
    url: \${RECEIVER_URL}
    timeout: 1s
    maxAttempts: 2
    payload: "{ deadDelivery { id callback nodeId status attempts attemptLog { httpStatus response } } }"
  pagerForDisabled:
    trigger: CallbackDelivery.disabled
    url: \${RECEIVER_URL}
    timeout: 1s
    payload: "{ disabledCallback { name enabled } reason failingSince lastError }"
`,
    });
    user = await app.signUp();
    admin = await app.accessToken('callbacks:admin');
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  const purchase = async (description: string) =>
    (
      await app.graphql(
        'mutation($u: ID!, $d: String!) { createPurchase(amount: 900, description: $d, userId: $u) { id } }',
        { u: user.userId, d: description },
        user.token,
      )
    ).data!.createPurchase.id as string;
  const received = (callback: string) =>
    receiver.received.filter((request) => request.body.event.callback === callback);
  const deliveryOf = async (callback: string, nodeId: string) =>
    (
      await app.pool.query<{ id: string; status: string; attempts: number; next_attempt_at: Date | null }>(
        'select id, status, attempts, next_attempt_at from callback_delivery where callback = $1 and node_id = $2',
        [callback, nodeId],
      )
    ).rows[0];
  /** Its retry time has passed while its callback is off: it waits, untried. */
  // Held: its retry time passed with no attempt, or a worker found its callback off and put it back untried for the recheck.
  const heldPastItsRetry = (callback: string, nodeId: string) =>
    eventually(
      () => deliveryOf(callback, nodeId),
      (row) =>
        row?.status === 'PENDING' &&
        row.next_attempt_at !== null &&
        (row.next_attempt_at.getTime() < Date.now() - 500 || row.next_attempt_at.getTime() > Date.now() + 30_000),
    );
  const metric = async (line: RegExp) => {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    return Number(line.exec(text)?.[1] ?? 0);
  };

  it('a dead delivery pages: the CallbackDelivery.dead callback gets it with its attempts, and paygraph_callback_dead_total counts it', async () => {
    answers.set('dying', 503);
    const nodeId = await purchase('dying');
    const [alert] = await eventually(
      async () => received('pager'),
      (list) => list.length === 1,
    );
    const dead = await deliveryOf('dying', nodeId);
    expect(alert!.body.event).toMatchObject({ trigger: 'CallbackDelivery.dead', nodeId: dead!.id });
    expect(alert!.body.data.deadDelivery).toMatchObject({
      id: dead!.id,
      callback: 'dying',
      nodeId,
      status: 'DEAD',
      attempts: 2,
    });
    expect(alert!.body.data.deadDelivery.attemptLog).toEqual([
      { httpStatus: 503, response: 'answer 503' },
      { httpStatus: 503, response: 'answer 503' },
    ]);
    expect(await metric(/paygraph_callback_dead_total\{callback="dying"\} (\d+)/)).toBe(1);
  });

  it('an alert whose own delivery dies causes no alert about itself', async () => {
    pagerDown = true;
    answers.set('dying-2', 503);
    answers.set('dying-3', 503);
    const nodeId = await purchase('dying-2');
    const dead = await eventually(
      () => deliveryOf('dying', nodeId),
      (row) => row?.status === 'DEAD',
    );
    const alert = await eventually(
      () => deliveryOf('pager', dead!.id),
      (row) => row?.status === 'DEAD',
    );
    pagerDown = false;
    // A third death is announced as usual; by then the pager's own death has long been recorded.
    const third = await purchase('dying-3');
    const thirdDead = await eventually(
      () => deliveryOf('dying', third),
      (row) => row?.status === 'DEAD',
    );
    await eventually(
      () => deliveryOf('pager', thirdDead!.id),
      (row) => row?.status === 'DELIVERED',
    );
    const { rows } = await app.pool.query<{ node_id: string }>(
      `select node_id from callback_delivery where trigger = 'CallbackDelivery.dead' order by seq`,
    );
    expect(rows.map((row) => row.node_id)).not.toContain(alert!.id);
    expect(rows).toHaveLength(3);
  });

  it('410 Gone switches the callback off once, announced through CallbackDelivery.disabled; its pending deliveries wait until it is enabled', async () => {
    answers.set('goner-2', 500);
    const held = await purchase('goner-2');
    await eventually(
      () => deliveryOf('goner', held),
      (row) => row?.attempts === 1,
    );
    answers.set('goner', 410);
    await purchase('goner');
    const [announced] = await eventually(
      async () => received('pagerForDisabled'),
      (list) => list.length === 1,
    );
    expect(announced!.body.data).toMatchObject({
      disabledCallback: { name: 'goner', enabled: false },
      reason: 'gone',
      lastError: 'HTTP 410: this endpoint is gone',
    });
    expect(await heldPastItsRetry('goner', held)).toMatchObject({ status: 'PENDING', attempts: 1 });
    answers.delete('goner-2');
    const enabled = await app.graphql(
      'mutation { setCallbackEnabled(name: "goner", enabled: true) { enabled } }',
      {},
      admin,
    );
    expect(enabled.data).toEqual({ setCallbackEnabled: { enabled: true } });
    await eventually(
      () => deliveryOf('goner', held),
      (row) => row?.status === 'DELIVERED',
    );
    expect(received('pagerForDisabled')).toHaveLength(1);
    expect(await metric(/paygraph_callback_disabled_total\{callback="goner",reason="gone"\} (\d+)/)).toBe(1);
  });

  it('failing for longer than disableAfterFailingFor switches it off and announces it; enabling starts the clock again', async () => {
    answers.set('failing', 500);
    const first = await purchase('failing');
    await eventually(
      () => deliveryOf('failing', first),
      (row) => row?.attempts === 1,
    );
    // The failing clock starts after the attempt is recorded: wait for it before moving it back.
    await eventually(
      async () =>
        (await app.pool.query(`select 1 from callback_state where callback = 'failing' and failing_since is not null`))
          .rowCount,
      (rows) => rows === 1,
    );
    // An hour and a minute of failure pass.
    await app.pool.query(
      `update callback_state set failing_since = now() - interval '61 minutes' where callback = 'failing'`,
    );
    const [announced] = await eventually(
      async () => received('pagerForDisabled').filter((r) => r.body.data.disabledCallback?.name === 'failing'),
      (list) => list.length === 1,
    );
    expect(announced!.body.data).toMatchObject({
      reason: 'failing',
      lastError: 'HTTP 500: answer 500',
      failingSince: expect.any(String),
    });
    const callbacks = await app.graphql('{ callbacks { name enabled } }', {}, admin);
    expect(callbacks.data!.callbacks).toContainEqual({ name: 'failing', enabled: false });

    const held = await heldPastItsRetry('failing', first);
    expect(held!.attempts).toBeLessThan(5);
    // A mutation committed while it is off is not forgotten: its delivery is recorded, and held untried.
    const during = await purchase('failing');
    expect((await heldPastItsRetry('failing', during))!.attempts).toBe(0);
    expect(receiver.received.filter((request) => request.body.event.nodeId === during)).toEqual([]);
    answers.delete('failing');
    await app.graphql('mutation { setCallbackEnabled(name: "failing", enabled: true) { enabled } }', {}, admin);
    await eventually(
      () => deliveryOf('failing', first),
      (row) => row?.status === 'DELIVERED',
    );
    await eventually(
      () => deliveryOf('failing', during),
      (row) => row?.status === 'DELIVERED',
    );
    const state = await app.pool.query('select failing_since from callback_state where callback = $1', ['failing']);
    expect(state.rows[0].failing_since).toBeNull();
  });

  it('an alert callback cannot be triggered by hand', async () => {
    const nodeId = await purchase('dying');
    expect(
      codesOf(await app.graphql(`mutation { triggerCallback(name: "pager", nodeId: "${nodeId}") { id } }`, {}, admin)),
    ).toEqual(['BAD_USER_INPUT']);
  });
});
