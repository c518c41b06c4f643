import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { eventually } from '../packages/testing/eventually.js';
import { subscribe } from './support/sse.js';

const PER_SESSION = 2;
const PER_ADDRESS = 3;
const watchQuery = 'subscription($id: ID!) { purchaseUpdated(id: $id) { id } }';

describe('open subscription streams are limited per session and per client address', () => {
  let app: TestPaygraph;
  const streams: { close(): void }[] = [];
  // Behind a trusted proxy each test is a client of its own address, so one test's streams never count in another.
  let addresses = 0;
  const newAddress = () => `198.51.100.${++addresses}`;

  beforeAll(async () => {
    app = await startTestPaygraph({
      env: {
        MAX_STREAMS_PER_SESSION: String(PER_SESSION),
        MAX_STREAMS_PER_ADDRESS: String(PER_ADDRESS),
        TRUST_PROXY: 'true',
      },
      roles: { api: true, worker: false },
    });
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await app?.stop();
  });

  /** A user with a purchase of their own to watch. */
  const shopper = async () => {
    const user = await app.signUp();
    const created = await app.graphql(
      'mutation($u: ID!) { createPurchase(amount: 4200, description: "limits", userId: $u) { id } }',
      { u: user.userId },
      user.token,
    );
    return { ...user, purchaseId: created.data!.createPurchase.id as string };
  };
  const watch = async (user: { token: string; purchaseId: string }, address: string) => {
    const stream = await subscribe(`${app.url}/graphql`, watchQuery, { id: user.purchaseId }, user.token, {
      'x-forwarded-for': address,
    });
    streams.push(stream);
    return stream;
  };
  /** A stream that is open: HTTP 200 and the purchase as it is now. */
  const opened = async (user: { token: string; purchaseId: string }, address: string) => {
    const stream = await watch(user, address);
    expect(stream.status).toBe(200);
    await stream.waitFor((event) => event.data?.purchaseUpdated?.id === user.purchaseId);
    return stream;
  };
  /** A stream opened as soon as a place is free: the server hears of a stream's end a moment after it. */
  const openedOnceFreed = async (user: { token: string; purchaseId: string }, address: string) => {
    const stream = await eventually(
      async () => {
        const attempt = await watch(user, address);
        if (attempt.status !== 200) attempt.close();
        return attempt;
      },
      (attempt) => attempt.status === 200,
    );
    await stream.waitFor((event) => event.data?.purchaseUpdated?.id === user.purchaseId);
    return stream;
  };
  const expectRefused = async (stream: Awaited<ReturnType<typeof watch>>, limit: number) => {
    expect(stream.status).toBe(429);
    const event = await stream.waitFor(() => true);
    expect(event.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', maxOpenStreams: limit });
    expect(event.data?.purchaseUpdated ?? null).toBeNull();
    await stream.ended();
  };

  it('the stream past MAX_STREAMS_PER_SESSION is refused; closing one lets a new one open; another user is unaffected', async () => {
    const address = newAddress();
    const [user, other] = [await shopper(), await shopper()];
    const open = [await opened(user, address), await opened(user, address)];
    await expectRefused(await watch(user, address), PER_SESSION);
    // The same address, another session: its own count.
    await opened(other, address);

    open[0]!.close();
    await openedOnceFreed(user, address);
    await expectRefused(await watch(user, address), PER_SESSION);
  });

  it('an address holds at most MAX_STREAMS_PER_ADDRESS streams, whichever sessions open them', async () => {
    const address = newAddress();
    const [first, second] = [await shopper(), await shopper()];
    await opened(first, address);
    await opened(first, address);
    await opened(second, address);
    await expectRefused(await watch(second, address), PER_ADDRESS);
    await opened(second, newAddress());
  });

  it('streams the server ends, and subscriptions refused when they start, hold no place', async () => {
    const address = newAddress();
    const [leaving, stranger, next] = [await shopper(), await shopper(), await shopper()];
    // Someone else's purchase is FORBIDDEN when the subscription starts: more of those than the limit leave no trace.
    for (let i = 0; i < PER_ADDRESS + 1; i += 1) {
      const forbidden = await subscribe(`${app.url}/graphql`, watchQuery, { id: leaving.purchaseId }, stranger.token, {
        'x-forwarded-for': address,
      });
      expect((await forbidden.waitFor(() => true)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const ending = [await opened(leaving, address), await opened(leaving, address)];
    // Signing out ends that session's streams from the server's side.
    await app.graphql('mutation { signoutUser }', {}, leaving.token);
    await Promise.all(ending.map((stream) => stream.ended()));
    await openedOnceFreed(next, address);
    await opened(next, address);
    await opened(stranger, address);
  });
});
