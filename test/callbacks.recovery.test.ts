import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';
import { codesOf, startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver } from './support/receiver.js';

// Seeing and recovering failures: counts, failure rate, last error, filters, bulk redelivery with a
// count first (GraphQL and CLI), and the dead metric. Each test fails its own purchases by description.
describe('callbacks: seeing and recovering failures', () => {
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let admin: string;
  let user: { userId: string; token: string };
  const refused = new Map<string, number>();

  beforeAll(async () => {
    receiver = await startReceiver((request, _index, res) => {
      const status = refused.get(request.body.data?.createdNode?.description);
      if (status) res.writeHead(status).end(`refused with ${status}`);
    });
    const callback = (name: string, extra = '') => `
  ${name}:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id description } }"
    when: { node: { description: { in: [${name}-1, ${name}-2, ${name}-3] } } }
    maxAttempts: 2${extra}`;
    app = await startTestPaygraph({
      env: { RECEIVER_URL: receiver.url },
      callbacksYaml: `callbacks:${callback('stats')}${callback('listing')}${callback('bulk')}${callback('cli')}${callback('dying')}${callback('gone')}${callback('manual')}${callback('undone')}\n`,
    });
    admin = await app.accessToken('callbacks:admin');
    user = await app.signUp();
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  const purchase = async (description: string) =>
    (
      await app.graphql(
        'mutation($u: ID!, $d: String!) { createPurchase(amount: 700, description: $d, userId: $u) { id } }',
        { u: user.userId, d: description },
        user.token,
      )
    ).data!.createPurchase.id as string;
  const settled = (callback: string, count: number) =>
    eventually(
      () =>
        app.graphql(
          'query($c: String) { callbackDeliveries(callback: $c) { id nodeId status createdAt } }',
          { c: callback },
          admin,
        ),
      (response) =>
        response.data?.callbackDeliveries?.filter((d: { status: string }) => d.status !== 'PENDING').length === count,
    ).then(
      (response) =>
        response.data!.callbackDeliveries as { id: string; nodeId: string; status: string; createdAt: string }[],
    );

  it('lists counts by status, the failure rate and the last error of each callback', async () => {
    refused.set('stats-2', 400);
    await purchase('stats-1');
    await purchase('stats-2');
    await settled('stats', 2);
    const { data } = await app.graphql(
      '{ callbacks { name counts { pending delivered failed dead } failureRate lastError lastErrorAt } }',
      {},
      admin,
    );
    const stats = data!.callbacks.find((callback: { name: string }) => callback.name === 'stats');
    expect(stats).toMatchObject({
      counts: { pending: 0, delivered: 1, failed: 1, dead: 0 },
      failureRate: 0.5,
      lastError: 'HTTP 400: refused with 400',
    });
    expect(new Date(stats.lastErrorAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('lists deliveries newest first, filtered by time range, with a total count', async () => {
    await purchase('listing-1');
    const newestId = await purchase('listing-2');
    await settled('listing', 2);
    const { data } = await app.graphql('{ callbackDeliveries(callback: "listing") { nodeId createdAt } }', {}, admin);
    expect(data!.callbackDeliveries[0].nodeId).toBe(newestId);
    const newest = data!.callbackDeliveries[0].createdAt;
    const ranged = await app.graphql(
      'query($t: DateTime) { callbackDeliveries(callback: "listing", createdAfter: $t) { nodeId } callbackDeliveryCount(callback: "listing", createdBefore: $t) }',
      { t: newest },
      admin,
    );
    expect(ranged.data).toEqual({ callbackDeliveries: [{ nodeId: newestId }], callbackDeliveryCount: 1 });
  });

  it('redelivers failed and dead deliveries of one callback in a time range, counting them first', async () => {
    refused.set('bulk-1', 400);
    refused.set('bulk-2', 503);
    await purchase('bulk-1');
    await purchase('bulk-2');
    await purchase('bulk-3');
    const deliveries = await settled('bulk', 3);
    expect(deliveries.map((d) => d.status).sort()).toEqual(['DEAD', 'DELIVERED', 'FAILED']);
    const args = { a: deliveries.at(-1)!.createdAt };
    const count = await app.graphql(
      'query($a: DateTime) { redeliverableCount(callback: "bulk", createdAfter: $a) }',
      args,
      admin,
    );
    expect(count.data!.redeliverableCount).toBe(2);
    const onlyDead = await app.graphql('{ redeliverableCount(callback: "bulk", statuses: [DEAD]) }', {}, admin);
    expect(onlyDead.data!.redeliverableCount).toBe(1);

    refused.clear();
    const sent = await app.graphql(
      'mutation($a: DateTime) { redeliverCallbacks(callback: "bulk", createdAfter: $a) }',
      args,
      admin,
    );
    expect(sent.data!.redeliverCallbacks).toBe(2);
    expect((await settled('bulk', 3)).every((d) => d.status === 'DELIVERED')).toBe(true);
  });

  it('refuses a bulk redelivery of an unknown callback, an empty range, and callers without callbacks:admin', async () => {
    expect(codesOf(await app.graphql('{ redeliverableCount(callback: "nope") }', {}, admin))).toEqual(['NOT_FOUND']);
    const backwards = await app.graphql(
      'mutation { redeliverCallbacks(callback: "bulk", createdAfter: "2026-02-01T00:00:00Z", createdBefore: "2026-01-01T00:00:00Z") }',
      {},
      admin,
    );
    expect(codesOf(backwards)).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await app.graphql('mutation { redeliverCallbacks(callback: "bulk") }', {}, user.token))).toEqual([
      'FORBIDDEN',
    ]);
    expect(codesOf(await app.graphql('mutation { redeliverCallbacks(callback: "bulk") }'))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it('counts dead deliveries in paygraph_callback_dead_total and records the headers of each attempt', async () => {
    refused.set('dying-1', 503);
    await purchase('dying-1');
    const [dead] = await settled('dying', 1);
    expect(dead!.status).toBe('DEAD');
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/^paygraph_callback_dead_total\{callback="dying"\} 1$/m);
    const { data } = await app.graphql(
      'query($id: ID!) { callbackDelivery(id: $id) { attemptLog { requestHeaders } } }',
      { id: dead!.id },
      admin,
    );
    const headers = JSON.parse(data!.callbackDelivery.attemptLog[0].requestHeaders);
    expect(headers).toMatchObject({ 'webhook-id': dead!.id, 'content-type': 'application/json' });
    expect(headers['webhook-signature']).toMatch(/^v1,/);
  });

  it('an endpoint answering 410 Gone disables its callback until an operator enables it again', async () => {
    refused.set('gone-1', 410);
    await purchase('gone-1');
    const [gone] = await settled('gone', 1);
    expect(gone!.status).toBe('FAILED');
    const enabledOf = async () =>
      (await app.graphql('{ callbacks { name enabled } }', {}, admin)).data!.callbacks.find(
        (c: { name: string }) => c.name === 'gone',
      ).enabled;
    expect(await eventually(enabledOf, (enabled) => enabled === false)).toBe(false);
    expect(await (await fetch(`${app.url}/metrics`)).text()).toMatch(
      /^paygraph_callback_disabled_total\{callback="gone",reason="gone"\} 1$/m,
    );

    refused.clear();
    await app.graphql('mutation { setCallbackEnabled(name: "gone", enabled: true) { enabled } }', {}, admin);
    await app.graphql('mutation($id: ID!) { redeliverCallback(id: $id) { id } }', { id: gone!.id }, admin);
    expect((await settled('gone', 1))[0]!.status).toBe('DELIVERED');
  });

  it('triggerCallback sends a callback now for an existing node, and refuses an unknown node or callback', async () => {
    const id = await purchase('not-matched-by-when');
    const { data } = await app.graphql(
      'mutation($n: ID!) { triggerCallback(name: "manual", nodeId: $n) { id nodeId status } }',
      { n: id },
      admin,
    );
    expect(data!.triggerCallback).toMatchObject({ nodeId: id, status: 'PENDING' });
    const [request] = await eventually(
      async () => receiver.received.filter((r) => r.body.event.id === data!.triggerCallback.id),
      (list) => list.length === 1,
    );
    expect(request!.body).toMatchObject({
      data: { createdNode: { id, description: 'not-matched-by-when' } },
      event: { callback: 'manual', nodeId: id },
    });
    const unknownNode = await app.graphql(
      'mutation { triggerCallback(name: "manual", nodeId: "nope") { id } }',
      {},
      admin,
    );
    expect(codesOf(unknownNode)).toEqual(['NOT_FOUND']);
    expect(
      codesOf(await app.graphql(`mutation { triggerCallback(name: "nope", nodeId: "${id}") { id } }`, {}, admin)),
    ).toEqual(['NOT_FOUND']);
    expect(
      codesOf(
        await app.graphql(`mutation { triggerCallback(name: "manual", nodeId: "${id}") { id } }`, {}, user.token),
      ),
    ).toEqual(['FORBIDDEN']);
  });

  it('admin mutations refused by a later root field leave no delivery, no redelivery and no switch behind', async () => {
    refused.set('undone-1', 400);
    await purchase('undone-1');
    const [failed] = await settled('undone', 1);
    const node = await purchase('not-matched-by-when');
    const mutation = (refusedLast: boolean) => `mutation($n: ID!, $d: ID!) {
      triggerCallback(name: "undone", nodeId: $n) { id }
      redeliverCallbacks(callback: "undone")
      redeliverCallback(id: $d) { status }
      off: setCallbackEnabled(name: "undone", enabled: false) { enabled }
      ${refusedLast ? 'missing: redeliverCallback(id: "00000000-0000-0000-0000-000000000000") { id }' : 'on: setCallbackEnabled(name: "undone", enabled: true) { enabled }'}
    }`;
    const deliveries = async () =>
      (await app.graphql('{ callbackDeliveries(callback: "undone") { id nodeId status attempts } }', {}, admin)).data!
        .callbackDeliveries;
    const enabled = async () =>
      (await app.graphql('{ callbacks { name enabled } }', {}, admin)).data!.callbacks.find(
        (c: { name: string }) => c.name === 'undone',
      ).enabled;

    const rolledBack = await app.graphql(mutation(true), { n: node, d: failed!.id }, admin);
    expect(rolledBack.data ?? null).toBeNull();
    expect(codesOf(rolledBack)).toEqual(['NOT_FOUND']);
    expect(await deliveries()).toEqual([{ id: failed!.id, nodeId: failed!.nodeId, status: 'FAILED', attempts: 1 }]);
    expect(await enabled()).toBe(true);

    // Committed, the same changes take effect, each field seeing the ones before it, and the worker sends them.
    refused.clear();
    const committed = await app.graphql(mutation(false), { n: node, d: failed!.id }, admin);
    expect(committed.data).toMatchObject({
      redeliverCallbacks: 1,
      redeliverCallback: { status: 'PENDING' },
      off: { enabled: false },
      on: { enabled: true },
    });
    const sent = await settled('undone', 2);
    expect(sent.map((d) => [d.nodeId, d.status]).sort()).toEqual(
      [
        [failed!.nodeId, 'DELIVERED'],
        [node, 'DELIVERED'],
      ].sort(),
    );
  });

  // Three CLI processes, each a tsx start: seconds apiece on a busy 2-core machine.
  it('npm run callbacks -- redeliver-all counts first and sends again with --yes', { timeout: 120_000 }, async () => {
    refused.set('cli-1', 400);
    await purchase('cli-1');
    await settled('cli', 1);
    refused.clear();
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(rootDir, 'scripts/callbacks.ts'), ...args], {
        cwd: rootDir,
        env: {
          ...process.env,
          DATABASE_URL: app.databaseUrl,
          CALLBACKS_FILE: app.callbacksFile,
          RECEIVER_URL: receiver.url,
          NODE_ENV: 'test',
        },
      }).then((result) => result.stdout);
    expect(await cli('redeliver-all', 'cli', '--status', 'failed')).toContain('1 deliveries match; add --yes');
    expect(await cli('redeliver-all', 'cli', '--since', '2000-01-01T00:00:00Z', '--yes')).toContain(
      '1 deliveries are queued again',
    );
    expect((await settled('cli', 1))[0]!.status).toBe('DELIVERED');
    const node = await purchase('cli-trigger');
    expect(await cli('trigger', 'cli', node)).toMatch(/^Delivery \S+ is queued/);
    await eventually(
      async () => receiver.received.filter((r) => r.body.event.callback === 'cli' && r.body.event.nodeId === node),
      (list) => list.length === 1,
    );
  });
});
