import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver } from './support/receiver.js';
import type { PaygraphProcess } from './support/paygraph-process.js';
import { startWorkerProcess } from './support/worker-process.js';

const startWorker = (app: TestPaygraph, receiverUrl: string) =>
  startWorkerProcess(app, { RECEIVER_URL: receiverUrl, STALE_LOCK_GRACE_MS: '500' });

// Each case starts worker processes under tsx: seconds apiece on a busy 2-core machine.
describe('a worker killed with SIGKILL loses nothing', { timeout: 90_000 }, () => {
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let user: { userId: string; token: string };
  const workers: PaygraphProcess[] = [];
  let hangAll = false;

  beforeAll(async () => {
    receiver = await startReceiver((_request, index) => (index === 0 || hangAll ? 'hang' : undefined));
    app = await startTestPaygraph({
      roles: { api: true, worker: false },
      env: { RECEIVER_URL: receiver.url },
      callbacksYaml: `callbacks:
  charge:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    timeout: 1s
    payload: "{ createdNode { id amount } }"
`,
    });
    user = await app.signUp();
  });
  afterAll(async () => {
    for (const worker of workers) await worker.kill();
    await app.stop();
    await receiver.close();
  });

  const createPurchase = async () =>
    (
      await app.graphql(
        'mutation($u: ID!) { createPurchase(amount: 300, description: "crash", userId: $u) { id } }',
        { u: user.userId },
        user.token,
      )
    ).data!.createPurchase.id as string;
  const delivered = (id: string) =>
    eventually(
      () => app.db.callbackDelivery.findFirstOrThrow({ where: { nodeId: id } }),
      (d) => d.status === 'DELIVERED',
      30_000,
    );

  // Each test starts worker processes under tsx, which takes seconds on a busy machine.
  it(
    'killed mid-delivery: the restarted worker takes the delivery over and delivers it',
    { timeout: 90_000 },
    async () => {
      const first = await startWorker(app, receiver.url);
      workers.push(first);
      const id = await createPurchase();
      await receiver.waitFor(1);
      await first.kill();
      const restarted = await startWorker(app, receiver.url);
      workers.push(restarted);
      await delivered(id);
      const requests = receiver.received.filter((request) => request.body.event.nodeId === id);
      expect(requests.length).toBe(2);
      expect(requests[0]!.headers['webhook-id']).toBe(requests[1]!.headers['webhook-id']);
      await restarted.kill();
    },
  );

  it(
    'killed right after the commit, before the pick-up: delivered after the restart',
    { timeout: 90_000 },
    async () => {
      // Its own worker, killed before the purchase commits: nothing here rests on the test before.
      const worker = await startWorker(app, receiver.url);
      workers.push(worker);
      await worker.kill();
      const id = await createPurchase();
      expect((await app.db.callbackDelivery.findFirstOrThrow({ where: { nodeId: id } })).status).toBe('PENDING');
      workers.push(await startWorker(app, receiver.url));
      await delivered(id);
    },
  );

  it(
    'a backlog the pump claimed, the worker killed with every attempt in flight: the next worker delivers them all',
    { timeout: 90_000 },
    async () => {
      // First attempts have no job: only the dispatcher's pump (and its leases) stand between a crash and a loss.
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push(await createPurchase());
      hangAll = true;
      const first = await startWorker(app, receiver.url);
      workers.push(first);
      await eventually(
        async () => receiver.received.filter((request) => ids.includes(request.body.event.nodeId)).length,
        (count) => count >= 24, // as many as one worker sends at once
        30_000,
      );
      await first.kill();
      hangAll = false;
      workers.push(await startWorker(app, receiver.url));
      await eventually(
        () => app.db.callbackDelivery.count({ where: { nodeId: { in: ids }, status: 'DELIVERED' } }),
        (count) => count === ids.length,
        60_000,
      );
      expect(await app.db.callbackDelivery.count({ where: { nodeId: { in: ids } } })).toBe(ids.length);
    },
  );
});
