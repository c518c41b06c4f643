import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startTestPaygraph, type GraphQLResponse, type TestPaygraph } from './support/paygraph.js';

const signUp =
  'mutation($email: String!) { createUser(name: "Anon", authProvider: { email: { email: $email, password: "long enough" } }) { id email } }';

// Anonymous callers have no identity: two clients at different addresses are two callers.
describe('an anonymous Idempotency-Key', () => {
  let app: TestPaygraph;
  beforeAll(async () => {
    app = await startTestPaygraph({ roles: { api: true, worker: false } });
  });
  afterAll(() => app.stop());

  /** A mutation sent from `from` (all of 127/8 is loopback on Linux): a client of its own. */
  function sendFrom(from: string, key: string, variables: Record<string, unknown>) {
    const body = JSON.stringify({ query: signUp, variables });
    return new Promise<{ replayed: boolean; body: GraphQLResponse }>((resolve, reject) => {
      const req = request(
        `${app.url}/graphql`,
        {
          method: 'POST',
          localAddress: from,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'idempotency-key': key,
          },
        },
        (res) => {
          let text = '';
          res
            .setEncoding('utf8')
            .on('data', (chunk: string) => (text += chunk))
            .on('end', () =>
              resolve({ replayed: res.headers['idempotent-replayed'] === 'true', body: JSON.parse(text) }),
            );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it("is the client's own: a retry is replayed to it, and another client with the same key and request gets nothing of its answer", async () => {
    const key = `anonymous-${Date.now()}`;
    const email = `anonymous-${Date.now()}@example.com`;
    const first = await sendFrom('127.0.0.1', key, { email });
    const created = first.body.data!.createUser as { id: string; email: string };
    expect(created.email).toBe(email);

    const retry = await sendFrom('127.0.0.1', key, { email });
    expect(retry.replayed).toBe(true);
    expect(retry.body.data).toEqual(first.body.data);

    const other = await sendFrom('127.0.0.2', key, { email });
    expect(other.replayed).toBe(false);
    // Its own request ran: the email is taken, and the first client's user is not in the answer.
    expect(codesOf(other.body)).toEqual(['CONFLICT']);
    expect(JSON.stringify(other.body)).not.toContain(created.id);
    expect(await app.db.user.count({ where: { email } })).toBe(1);
  });

  it("another client's key does not make a new request a CONFLICT: it never learns the key was used", async () => {
    const key = `anonymous-other-${Date.now()}`;
    await sendFrom('127.0.0.1', key, { email: `first-${Date.now()}@example.com` });
    const theirs = await sendFrom('127.0.0.3', key, { email: `second-${Date.now()}@example.com` });
    expect(theirs.body.errors).toBeUndefined();
    expect(theirs.body.data!.createUser.id).toBeTruthy();
  });
});
