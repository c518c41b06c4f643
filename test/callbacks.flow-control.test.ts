import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver, type ReceivedCallback } from './support/receiver.js';

// Flow control through real HTTP and PostgreSQL, with two worker processes sharing the queue:
// deliveries beyond maxInFlight or ratePerSecond wait untried and all arrive; a Retry-After from the
// endpoint holds every delivery of that callback, not only the one it answered.
const HOLD_MS = 150;

describe('callbacks: flow control across workers', { timeout: 90_000 }, () => {
  let app: TestPaygraph;
  let secondWorker: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let user: { userId: string; token: string };
  const inFlight = new Map<string, number>();
  const mostInFlight = new Map<string, number>();
  // The first request of `paused` is answered 429 with Retry-After: 4 (long enough to see another callback go meanwhile).
  let pausedAnswered = false;

  beforeAll(async () => {
    receiver = await startReceiver((request: ReceivedCallback, _index, res: ServerResponse) => {
      const callback = request.body.event.callback;
      if (callback === 'paused' && !pausedAnswered) {
        pausedAnswered = true;
        res.writeHead(429, { 'retry-after': '4' }).end('slow down');
        return;
      }
      if (callback !== 'limited') return;
      // A slow endpoint: each request is answered after a while, so requests overlap when allowed to.
      const now = (inFlight.get(callback) ?? 0) + 1;
      inFlight.set(callback, now);
      mostInFlight.set(callback, Math.max(now, mostInFlight.get(callback) ?? 0));
      setTimeout(() => {
        inFlight.set(callback, inFlight.get(callback)! - 1);
        res.writeHead(200).end('ok');
      }, HOLD_MS);
      return 'hang';
    });
    const callbacksYaml = `callbacks:
${['limited', 'rated', 'paused', 'free']
  .map(
    (name) => `  ${name}:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id description } }"
    when: { node: { description: ${name} } }
${name === 'limited' ? '    maxInFlight: 2\n' : ''}${name === 'rated' ? '    ratePerSecond: 4\n' : ''}`,
  )
  .join('')}`;
    const env = { RECEIVER_URL: receiver.url, WORKER_CONCURRENCY: '8' };
    app = await startTestPaygraph({ env, callbacksYaml });
    secondWorker = await startTestPaygraph({
      databaseUrl: app.databaseUrl,
      roles: { api: false, worker: true },
      env,
      callbacksYaml,
    });
    user = await app.signUp();
  });
  afterAll(async () => {
    await secondWorker?.stop();
    await app?.stop();
    await receiver?.close();
  });

  const purchases = async (description: string, count: number) => {
    const created = await Promise.all(
      [...Array(count)].map(() =>
        app.graphql(
          'mutation($u: ID!, $d: String!) { createPurchase(amount: 700, description: $d, userId: $u) { id } }',
          { u: user.userId, d: description },
          user.token,
        ),
      ),
    );
    return created.map((response) => response.data!.createPurchase.id as string);
  };
  const arrivals = (callback: string) =>
    receiver.received.filter((request) => request.body.event.callback === callback);
  const attemptsOf = async (callback: string) =>
    (
      await app.pool.query<{ attempts: number; status: string }>(
        'select attempts, status from callback_delivery where callback = $1',
        [callback],
      )
    ).rows;

  it('maxInFlight: never more than 2 requests at the endpoint at once, across both workers, and every delivery arrives once, first try', async () => {
    const ids = await purchases('limited', 12);
    const arrived = await eventually(
      async () => arrivals('limited'),
      (list) => list.length >= 12,
      60_000,
    );
    await eventually(
      () => attemptsOf('limited'),
      (rows) => rows.length === 12 && rows.every((row) => row.status === 'DELIVERED'),
      30_000,
    );
    expect(new Set(arrived.map((request) => request.body.data.createdNode.id))).toEqual(new Set(ids));
    expect(arrived).toHaveLength(12);
    expect(mostInFlight.get('limited')).toBeLessThanOrEqual(2);
    // Waiting is not an attempt: each went through on its first.
    expect(arrived.every((request) => request.body.event.attempt === 1)).toBe(true);
    expect((await attemptsOf('limited')).every((row) => row.attempts === 1)).toBe(true);
  });

  it('ratePerSecond: 8 deliveries at 4 a second are spread over 1.75 s, not sent at once, and none is dropped or retried', async () => {
    await purchases('rated', 8);
    const arrived = await eventually(
      async () => arrivals('rated'),
      (list) => list.length >= 8,
      60_000,
    );
    const times = arrived.map((request) => request.receivedAt).sort((a, b) => a - b);
    // Starts are handed out a quarter of a second apart, so unlimited they would all arrive at once.
    // Arrival lags its start, on a busy machine by up to an interval (the first opens a connection).
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(6 * 250);
    expect(arrived).toHaveLength(8);
    expect(arrived.every((request) => request.body.event.attempt === 1)).toBe(true);
  });

  it('a 429 with Retry-After holds every delivery of the callback until then; other callbacks go on', async () => {
    const [first] = await purchases('paused', 1);
    const [refused] = await eventually(
      async () => arrivals('paused'),
      (list) => list.length === 1,
    );
    const pausedAt = refused!.receivedAt;
    // The receiver sees the request before the worker reads its 429: wait until the pause is on record.
    await eventually(
      async () =>
        (await app.pool.query("select 1 from callback_state where callback = 'paused' and paused_until > now()"))
          .rowCount,
      (rows) => rows === 1,
    );
    const later = await purchases('paused', 3);
    const [other] = await purchases('free', 1);
    const [free] = await eventually(
      async () => arrivals('free'),
      (list) => list.length === 1,
    );
    expect(free!.body.data.createdNode.id).toBe(other);
    // Another callback went while this one's three waited.
    expect(arrivals('paused')).toHaveLength(1);

    const all = await eventually(
      async () => arrivals('paused'),
      (list) => list.length === 5,
      30_000,
    );
    for (const request of all.slice(1)) expect(request.receivedAt - pausedAt).toBeGreaterThanOrEqual(4000 - 50);
    // The three held ones went on their first attempt; only the refused one was tried twice.
    const byNode = new Map(
      all.slice(1).map((request) => [request.body.data.createdNode.id, request.body.event.attempt]),
    );
    expect(later.map((id) => byNode.get(id))).toEqual([1, 1, 1]);
    expect(byNode.get(first)).toBe(2);
  });
});
