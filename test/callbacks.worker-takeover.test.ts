import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../packages/testing/eventually.js';
import { startTestPaygraph } from './support/paygraph.js';
import { startReceiver } from './support/receiver.js';
import type { PaygraphProcess } from './support/paygraph-process.js';
import { startWorkerProcess } from './support/worker-process.js';

const workers: PaygraphProcess[] = [];
afterAll(async () => {
  for (const worker of workers) await worker.kill();
});

describe('a worker killed with SIGKILL mid-delivery', () => {
  it('another worker takes the delivery over within seconds, not when its minute-long lease ends, and records the interrupted attempt', async () => {
    // The first request hangs: the worker sending it is killed while it waits.
    const receiver = await startReceiver((_request, index) => (index === 0 ? 'hang' : undefined));
    const app = await startTestPaygraph({
      roles: { api: true, worker: false },
      env: { RECEIVER_URL: receiver.url },
      // A 30 s timeout and the default grace: each attempt's lease lasts a minute.
      callbacksYaml: `callbacks:
  charge:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    timeout: 30s
    payload: "{ createdNode { id } }"
`,
    });
    try {
      const env = { RECEIVER_URL: receiver.url };
      const first = await startWorkerProcess(app, env);
      workers.push(first);
      const user = await app.signUp();
      const created = await app.graphql(
        'mutation($u: ID!) { createPurchase(amount: 300, description: "takeover", userId: $u) { id } }',
        { u: user.userId },
        user.token,
      );
      const id = created.data!.createPurchase.id as string;
      await receiver.waitFor(1);
      const lease = await app.db.callbackDelivery.findFirstOrThrow({ where: { nodeId: id } });
      expect(lease.leasedUntil!.getTime() - Date.now()).toBeGreaterThan(45_000);

      workers.push(await startWorkerProcess(app, env));
      const killedAt = Date.now();
      await first.kill();
      const delivered = await eventually(
        () => app.db.callbackDelivery.findFirstOrThrow({ where: { nodeId: id }, include: { attemptLog: true } }),
        (delivery) => delivery.status === 'DELIVERED',
        30_000,
      );
      expect(Date.now() - killedAt).toBeLessThan(15_000);
      const log = delivered.attemptLog.sort((a, b) => a.attempt - b.attempt);
      expect(log.map((attempt) => [attempt.attempt, attempt.outcome])).toEqual([
        [1, 'interrupted'],
        [2, 'delivered'],
      ]);
      const sent = receiver.received.filter((request) => request.body.event.nodeId === id);
      expect(new Set(sent.map((request) => request.headers['webhook-id'])).size).toBe(1);
    } finally {
      await app.stop();
      await receiver.close();
    }
  }, 120_000);
});
