import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPortUrl } from '../packages/testing/listen.js';
import { loadHooks } from '../src/hooks/load.js';
import { schema } from '../src/schema/index.js';
import { codesOf, startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { startReceiver, verifySignature, type ReceivedCallback } from './support/receiver.js';

const LIMIT = 20_000;
const DAY_MS = 86_400_000;

// The fraudCheck of docs/callbacks.md: purchases over a limit are refused for users younger than a day. The
// hook looks the user up through the API, as a real one would, with a nodes:read token.
describe('blocking hooks before a write', () => {
  let app: TestPaygraph;
  let hookServer: Awaited<ReturnType<typeof startReceiver>>;
  let db: pg.Client;
  let reader: string;
  let nextAnswer: ((request: ReceivedCallback) => { status?: number; body: unknown } | 'hang') | null = null;

  beforeAll(async () => {
    hookServer = await startReceiver((request, _index, res) => {
      const answer = nextAnswer?.(request) ?? { body: { allow: true } };
      if (answer === 'hang') return 'hang';
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
    app = await startTestPaygraph({
      env: { FRAUD_CHECK_URL: hookServer.url, AUDIT_URL: await closedPortUrl() },
      callbacksYaml: `callbacks:
  charge:
    trigger: Purchase.created
    url: http://127.0.0.1:9/
    payload: "{ createdNode { id } }"
hooks:
  fraudCheck:
    before: Purchase.create
    url: \${FRAUD_CHECK_URL}
    timeout: 300ms
    mayChange: [description]
  audit:
    before: Purchase.create
    url: \${AUDIT_URL}
    onError: allow
`,
    });
    db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    reader = await app.accessToken('nodes:read');
  });
  afterAll(async () => {
    await db?.end();
    await app?.stop();
    await hookServer?.close();
  });

  // The example hook: asks the API how old the viewer is.
  const fraudCheck = async (request: ReceivedCallback) => {
    const { input, viewer } = JSON.parse(request.rawBody) as { input: { amount: number }; viewer: { id: string } };
    const user = await app.graphql('query($id: ID!) { User(id: $id) { createdAt } }', { id: viewer.id }, reader);
    const young = Date.now() - new Date(user.data!.User.createdAt).getTime() < DAY_MS;
    return young && input.amount > LIMIT
      ? { allow: false, message: `Purchases over ${LIMIT} wait a day after sign-up` }
      : { allow: true };
  };
  const buy = (user: { userId: string; token: string }, amount: number, description = 'laptop') =>
    app.graphql(
      'mutation($u: ID!, $a: Int!, $d: String!) { createPurchase(amount: $a, description: $d, userId: $u) { id description } }',
      { u: user.userId, a: amount, d: description },
      user.token,
    );
  const rowsOf = async (userId: string) => ({
    purchases: (await db.query('select count(*)::int as n from "Purchase" where "userId" = $1', [userId])).rows[0].n,
    deliveries: (
      await db.query(
        `select count(*)::int as n from callback_delivery d join "Purchase" p on p.id = d.node_id where p."userId" = $1`,
        [userId],
      )
    ).rows[0].n,
  });

  it("refuses a large purchase by a new user with the hook's message, writing nothing; a day later it passes", async () => {
    let signed: unknown;
    const user = await app.signUp();
    const asked = hookServer.received.length;
    // The test receiver answers synchronously, so the example hook decides for this request ahead.
    const verdict = await fraudCheck({
      rawBody: JSON.stringify({ input: { amount: 50_000 }, viewer: { id: user.userId } }),
    } as ReceivedCallback);
    nextAnswer = (request) => {
      signed = verifySignature(request);
      return { body: verdict };
    };
    const refused = await buy(user, 50_000);
    expect(codesOf(refused)).toEqual(['FORBIDDEN']);
    expect(refused.errors![0]!.message).toBe(`Purchases over ${LIMIT} wait a day after sign-up`);
    expect(refused.data ?? null).toBeNull();
    expect(await rowsOf(user.userId)).toEqual({ purchases: 0, deliveries: 0 });
    expect(signed).toMatchObject({
      hook: 'fraudCheck',
      operation: 'Purchase.create',
      input: { amount: 50_000, description: 'laptop' },
      viewer: { id: user.userId },
    });
    expect(hookServer.received.length).toBe(asked + 1);

    await db.query(`update "User" set "createdAt" = now() - interval '2 days' where id = $1`, [user.userId]);
    const older = await fraudCheck({
      rawBody: JSON.stringify({ input: { amount: 50_000 }, viewer: { id: user.userId } }),
    } as ReceivedCallback);
    nextAnswer = () => ({ body: older });
    expect((await buy(user, 50_000)).data!.createPurchase.id).toEqual(expect.any(String));
    expect(await rowsOf(user.userId)).toEqual({ purchases: 1, deliveries: 1 });
  });

  it('an Idempotency-Key retry gets the first answer without asking the hooks again, even one that would refuse now', async () => {
    const user = await app.signUp();
    const send = () =>
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${user.token}`,
          'idempotency-key': `hooked-${user.userId}`,
        },
        body: JSON.stringify({
          query:
            'mutation($u: ID!) { createPurchase(amount: 500, description: "desk", userId: $u) { id description } }',
          variables: { u: user.userId },
        }),
      });
    nextAnswer = () => ({ body: { allow: true, set: { description: 'desk (checked)' } } });
    const first = await send();
    const asked = hookServer.received.length;
    nextAnswer = () => ({ body: { allow: false, message: 'no more desks' } });
    const retry = await send();
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const [firstBody, retryBody] = [await first.json(), await retry.json()];
    expect(retryBody.data).toEqual(firstBody.data);
    expect(firstBody.data.createPurchase.description).toBe('desk (checked)');
    expect(hookServer.received.length).toBe(asked);
    expect(await rowsOf(user.userId)).toEqual({ purchases: 1, deliveries: 1 });
    nextAnswer = null;
  });

  it("a refusal cannot be stepped around: the field in an inline or a named fragment, or its amount a variable's default", async () => {
    const user = await app.signUp();
    nextAnswer = () => ({ body: { allow: false, message: 'no purchases today' } });
    const disguised: [string, Record<string, unknown>][] = [
      [
        'mutation($u: ID!) { ... on Mutation { createPurchase(amount: 50000, description: "x", userId: $u) { id } } }',
        { u: user.userId },
      ],
      [
        'mutation($u: ID!) { ...Buy } fragment Buy on Mutation { createPurchase(amount: 50000, description: "x", userId: $u) { id } }',
        { u: user.userId },
      ],
      [
        'mutation($u: ID!, $a: Int = 50000) { createPurchase(amount: $a, description: "x", userId: $u) { id } }',
        { u: user.userId },
      ],
      [
        'mutation($u: ID!, $go: Boolean = true) { createPurchase(amount: 50000, description: "x", userId: $u) @include(if: $go) { id } }',
        { u: user.userId },
      ],
    ];
    for (const [query, variables] of disguised) {
      const asked = hookServer.received.length;
      const refused = await app.graphql(query, variables, user.token);
      expect(codesOf(refused), query).toEqual(['FORBIDDEN']);
      expect(refused.errors![0]!.message, query).toBe('no purchases today');
      expect(hookServer.received.length, query).toBe(asked + 1);
      expect(JSON.parse(hookServer.received.at(-1)!.rawBody).input, query).toMatchObject({
        amount: 50_000,
        description: 'x',
      });
    }
    // Arguments no hook can be told (null for the required amount) refuse the request unasked.
    const asked = hookServer.received.length;
    const unreadable = await app.graphql(
      'mutation($u: ID!, $a: Int = 5) { createPurchase(amount: $a, description: "x", userId: $u) { id } }',
      { u: user.userId, a: null },
      user.token,
    );
    expect(codesOf(unreadable)).toEqual(['BAD_USER_INPUT']);
    expect(hookServer.received.length).toBe(asked);
    expect(await rowsOf(user.userId)).toEqual({ purchases: 0, deliveries: 0 });
    nextAnswer = null;
  });

  it('a rewrite reaches the field wherever the request repeats it, fragments included, with the hook asked once', async () => {
    const user = await app.signUp();
    nextAnswer = () => ({ body: { allow: true, set: { description: 'desk (checked)' } } });
    const asked = hookServer.received.length;
    const bought = await app.graphql(
      'mutation($u: ID!) { ...Buy createPurchase(amount: 500, description: "desk", userId: $u) { description } } fragment Buy on Mutation { createPurchase(amount: 500, description: "desk", userId: $u) { id } }',
      { u: user.userId },
      user.token,
    );
    expect(bought.data!.createPurchase).toEqual({ id: expect.any(String), description: 'desk (checked)' });
    expect((await db.query('select description from "Purchase" where "userId" = $1', [user.userId])).rows).toEqual([
      { description: 'desk (checked)' },
    ]);
    // Once for the response key, not once per copy of the field (the audit hook listens elsewhere).
    expect(hookServer.received.length).toBe(asked + 1);
    nextAnswer = null;
  });

  it('refuses hooks.yml mistakes at start, naming the hook', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'paygraph-hooks-')), 'callbacks.yml');
    writeFileSync(
      file,
      `hooks:
  one: { before: Invoice.create, url: "http://x.test/" }
  two: { before: Purchase.create, url: "http://x.test/", mayChange: [price] }
  three: { before: Purchase.create, url: "http://x.test/", onError: maybe }
`,
    );
    expect(() => loadHooks({ file, schema, defaultSecret: 'whsec_x' })).toThrow(
      /hooks\.one: before: <Model>\.create or <Model>\.update[\s\S]*hooks\.two: mayChange: createPurchase has no argument "price"[\s\S]*hooks\.three: onError/,
    );
  });

  it('may rewrite the fields listed in mayChange, and nothing else (the audit hook is down: onError allow lets it pass)', async () => {
    const user = await app.signUp();
    nextAnswer = () => ({ body: { allow: true, set: { description: 'laptop (checked)' } } });
    expect((await buy(user, 500)).data!.createPurchase.description).toBe('laptop (checked)');
    nextAnswer = () => ({ body: { allow: true, set: { amount: 1 } } });
    const refused = await buy(user, 500);
    expect(codesOf(refused)).toEqual(['FORBIDDEN']);
    expect(refused.errors![0]!.message).toMatch(/fraudCheck.*may not change amount/);
    expect((await rowsOf(user.userId)).purchases).toBe(1);
  });

  it('fails closed on a timeout, an error status or a malformed answer (onError: deny)', async () => {
    const user = await app.signUp();
    for (const answer of ['hang', { status: 500, body: {} }, { body: { yes: 1 } }] as const) {
      nextAnswer = () => answer;
      const refused = await buy(user, 500);
      expect(codesOf(refused)).toEqual(['FORBIDDEN']);
      expect(refused.errors![0]!.message).toMatch(/hook "fraudCheck" could not decide/);
    }
    expect((await rowsOf(user.userId)).purchases).toBe(0);
  });
});
