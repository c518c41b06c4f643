import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver } from './support/receiver.js';

// A worker with every slot busy leaves what it cannot take to its backlog pump. New deliveries that
// keep arriving must not go ahead of those: under a steady stream of purchases, a charge skipped
// once used to wait until the stream stopped (seconds, in bench:e2e). The pump's timer makes the
// worker look at its backlog, and while it looks new announcements are left to it: every second by
// default, every 20 ms in the second case, where they nearly always are (and one once sat unclaimed,
// the waiting room half empty, until a slot freed up).
describe.each([
  { pumpIntervalMs: '1000', when: 'the pump runs when slots free up' },
  { pumpIntervalMs: '20', when: 'the pump looks all the time' },
])('callbacks: a busy worker sends first attempts in the order they were committed ($when)', ({ pumpIntervalMs }) => {
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let user: { userId: string; token: string };
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    // Every request waits until the test answers it.
    receiver = await startReceiver((_request, _index, res) => {
      held.push(res);
      return 'hang';
    });
    app = await startTestPaygraph({
      // Two in flight, two more claimed and waiting: a fifth is left to the pump.
      env: { RECEIVER_URL: receiver.url, WORKER_CONCURRENCY: '2', CALLBACK_PUMP_INTERVAL_MS: pumpIntervalMs },
      callbacksYaml:
        'callbacks:\n  charge:\n    trigger: Purchase.created\n    url: ${RECEIVER_URL}\n    payload: "{ createdNode { id } }"\n',
    });
    user = await app.signUp();
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  const purchase = async (n: number) => {
    const created = await app.graphql(
      'mutation($u: ID!, $d: String!) { createPurchase(amount: 700, description: $d, userId: $u) { id } }',
      { u: user.userId, d: `fair ${n}` },
      user.token,
    );
    return created.data!.createPurchase.id as string;
  };
  const claimed = async (ids: string[]) => {
    const { rows } = await app.pool.query(
      'select 1 from callback_delivery where node_id = any($1) and leased_until is not null',
      [ids],
    );
    return rows.length === ids.length;
  };
  /** Answers the oldest request still held, and waits until the slot it frees has sent the next. */
  const answerOne = async () => {
    const before = receiver.received.length;
    held.shift()!.writeHead(200).end('ok');
    await receiver.waitFor(before + 1);
  };

  it('a delivery left to the pump is sent before ones announced after it', async () => {
    const ids: string[] = [];
    for (const n of [1, 2]) {
      ids.push(await purchase(n));
      await receiver.waitFor(n);
    }
    // Claimed to wait for a slot: also when they were left to the pump, which fills the waiting room.
    for (const n of [3, 4]) ids.push(await purchase(n));
    await eventually(() => claimed(ids.slice(2, 4)), Boolean);
    // Every slot and the waiting room are full: 5 and 6 are left to the pump.
    for (const n of [5, 6]) ids.push(await purchase(n));
    await answerOne();
    // A slot is taken again at once (by 4), but the room now has space: 7 is announced meanwhile.
    ids.push(await purchase(7));
    while (receiver.received.length < ids.length) await answerOne();
    while (held.length > 0) held.shift()!.writeHead(200).end('ok');
    expect(receiver.received.map((request) => request.body.data.createdNode.id)).toEqual(ids);
  });
});
