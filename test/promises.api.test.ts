import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpiredKeys } from '../src/request/idempotency-keys.js';
import { codesOf, startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { startReceiver } from './support/receiver.js';

const signin = 'mutation($e: String!, $p: String!) { signinUser(email: { email: $e, password: $p }) { token } }';

// Each promise docs/api.md makes about the API, tried the way a hostile client or a careless one would.
describe('the API keeps its promises', () => {
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    app = await startTestPaygraph({
      env: {
        RECEIVER_URL: receiver.url,
        SIGNIN_MAX_FAILURES_PER_ACCOUNT: '3',
        SIGNIN_MAX_FAILURES_PER_ADDRESS: '1000',
      },
      callbacksYaml: `callbacks:
  onPurchase:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id } }"
  onCard:
    trigger: CardDetails.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id } }"
  onUser:
    trigger: User.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id } }"
`,
    });
  });
  afterAll(async () => {
    await app.stop();
    await receiver.close();
  });

  const counts = async () => ({
    users: await app.db.user.count(),
    cards: await app.db.cardDetails.count(),
    purchases: await app.db.purchase.count(),
    sessions: await app.db.session.count(),
    deliveries: await app.db.callbackDelivery.count(),
  });

  /** A user with a card, so that a selection of the card's token (services only) is refused. */
  async function userWithCard() {
    const user = await app.signUp();
    await app.graphql(
      'mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }',
      { u: user.userId },
      user.token,
    );
    return user;
  }

  it('a mutation refused anywhere in its answer writes nothing: no row, no callback', async () => {
    const user = await userWithCard();
    const refused = [
      `mutation { createPurchase(amount: 777, description: "x", userId: "${user.userId}") { id user { cardDetails { cardToken } } } }`,
      `mutation { createCardDetails(cardToken: "tok_visa", userId: "${user.userId}") { id cardToken } }`,
      // The first root field is allowed, the second is not: the first is undone too.
      `mutation { a: createPurchase(amount: 5, description: "x", userId: "${user.userId}") { id } b: createPurchase(amount: 5, description: "x", userId: "someone-else") { id } }`,
      // Sign-up, then a field only services may call: the new user is undone with it.
      `mutation { createUser(name: "X", authProvider: { email: { email: "refused-${Date.now()}@example.com", password: "long enough" } }) { id } updateUser(id: "${user.userId}", stripeId: "cus_x") { id } }`,
    ];
    for (const query of refused) {
      const before = await counts();
      const response = await app.graphql(query, {}, user.token);
      expect(codesOf(response), query).toContain('FORBIDDEN');
      expect(response.data, query).toBeNull();
      expect(await counts(), query).toEqual(before);
    }
  });

  it('the same Idempotency-Key and input answers the first result, with one write, also when sent at once', async () => {
    const user = await app.signUp();
    const body = JSON.stringify({
      query: 'mutation($u: ID!) { createPurchase(amount: 1500, description: "Once", userId: $u) { id } }',
      variables: { u: user.userId },
    });
    const send = (key: string, payload = body) =>
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}`, 'idempotency-key': key },
        body: payload,
      });
    const key = `key-${Date.now()}`;
    const responses = await Promise.all([send(key), send(key), send(key)]);
    const bodies = await Promise.all(responses.map((response) => response.json() as Promise<any>));
    const ids = new Set(bodies.map((b) => b.data.createPurchase.id));
    expect(ids.size).toBe(1);
    expect(await app.db.purchase.count({ where: { userId: user.userId } })).toBe(1);
    expect(responses.filter((response) => response.headers.get('idempotent-replayed') === 'true')).toHaveLength(2);

    const later = await (await send(key)).json();
    expect(later.data.createPurchase.id).toBe([...ids][0]);
    const otherInput = await (await send(key, body.replace('1500', '1600'))).json();
    expect(codesOf(otherInput)).toEqual(['CONFLICT']);
    expect(await app.db.purchase.count({ where: { userId: user.userId } })).toBe(1);

    // Keys belong to their caller: another user's identical key is another request.
    const other = await app.signUp();
    const theirs = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${other.token}`, 'idempotency-key': key },
      body: JSON.stringify({
        query: 'mutation($u: ID!) { createPurchase(amount: 1500, description: "Once", userId: $u) { id } }',
        variables: { u: other.userId },
      }),
    });
    expect(((await theirs.json()) as any).data.createPurchase.id).not.toBe([...ids][0]);
  });

  it('idempotency keys are kept 24 hours, then purged', async () => {
    const scope = `test:${Date.now()}`;
    await app.pool.query(
      `insert into idempotency_key (scope, key, request_hash, created_at) values ($1, 'old', 'h', now() - interval '25 hours'), ($1, 'new', 'h', now() - interval '23 hours')`,
      [scope],
    );
    await purgeExpiredKeys(app.pool);
    const { rows } = await app.pool.query('select key from idempotency_key where scope = $1', [scope]);
    expect(rows).toEqual([{ key: 'new' }]);
  });

  it('a mutation that failed is not remembered under its key: the retry runs', async () => {
    const user = await app.signUp();
    const key = `retry-${Date.now()}`;
    const send = (amount: number) =>
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}`, 'idempotency-key': key },
        body: JSON.stringify({
          query: `mutation { createPurchase(amount: ${amount}, description: "x", userId: "${user.userId}") { id } }`,
        }),
      }).then((response) => response.json() as Promise<any>);
    expect(codesOf(await send(0))).toEqual(['BAD_USER_INPUT']);
    expect((await send(0)).errors).toBeDefined();
    expect(await app.db.purchase.count({ where: { userId: user.userId } })).toBe(0);
  });

  it('text with a NUL character and malformed cursors are BAD_USER_INPUT, with nothing written', async () => {
    const user = await app.signUp();
    const admin = await app.accessToken('callbacks:admin');
    const before = await counts();
    const cases: [string, Record<string, unknown>, string][] = [
      [
        'mutation($d: String!, $u: ID!) { createPurchase(amount: 5, description: $d, userId: $u) { id } }',
        { d: 'a\u0000b', u: user.userId },
        user.token,
      ],
      [
        `mutation { createPurchase(amount: 5, description: "a\\u0000b", userId: "${user.userId}") { id } }`,
        {},
        user.token,
      ],
      ['{ allPurchases(after: "x\\u0000") { id } }', {}, user.token],
      ['{ callbackDeliveries(after: "not-a-uuid") { id } }', {}, admin],
      ['{ callbackDeliveries(callback: "a\\u0000") { id } }', {}, admin],
    ];
    for (const [query, variables, token] of cases) {
      expect(codesOf(await app.graphql(query, variables, token)), query).toEqual(['BAD_USER_INPUT']);
    }
    expect(await counts()).toEqual(before);
  });

  it('a currency must be one Stripe supports; any case is stored lower case', async () => {
    const user = await app.signUp();
    const create = (currency: string) =>
      app.graphql(
        'mutation($u: ID!, $c: String!) { createPurchase(amount: 500, description: "x", currency: $c, userId: $u) { currency } }',
        { u: user.userId, c: currency },
        user.token,
      );
    expect(codesOf(await create('zzz'))).toEqual(['BAD_USER_INPUT']);
    expect((await create('EUR')).data).toEqual({ createPurchase: { currency: 'eur' } });
    expect(await app.db.purchase.count({ where: { userId: user.userId } })).toBe(1);
  });

  it('cost counts variables and defaulted page sizes; pages have a hard maximum', async () => {
    const user = await app.signUp();
    const nested = 'query($n: Int) { me { purchases(first: $n) { user { purchases(first: $n) { id } } } } }';
    expect(codesOf(await app.graphql(nested, { n: 300 }, user.token))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await app.graphql(nested, { n: 100 }, user.token))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await app.graphql('{ me { purchases { user { purchases { id } } } } }', {}, user.token))).toEqual([
      'BAD_USER_INPUT',
    ]);
    const small = await app.graphql(nested, { n: 5 }, user.token);
    expect(small.errors).toBeUndefined();
  });

  it('sign-in is throttled per account, with RATE_LIMITED and Retry-After, for known and unknown emails alike', async () => {
    const user = await app.signUp();
    const signIn = (email: string, password: string) =>
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation($e: String!, $p: String!) { signinUser(email: { email: $e, password: $p }) { token } }',
          variables: { e: email, p: password },
        }),
      });
    for (const email of [user.email, `nobody-${Date.now()}@example.com`]) {
      for (let i = 0; i < 3; i += 1)
        expect(codesOf((await (await signIn(email, 'wrong password')).json()) as any)).toEqual(['UNAUTHENTICATED']);
      const throttled = await signIn(email, 'correct horse');
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(codesOf((await throttled.json()) as any)).toEqual(['RATE_LIMITED']);
    }
  });

  it('concurrent wrong sign-ins to one account get no more guesses than its limit', async () => {
    const user = await app.signUp();
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => app.graphql(signin, { e: user.email, p: `wrong ${i}` })),
    );
    const codes = guesses.flatMap((guess) => codesOf(guess));
    expect(codes.filter((code) => code === 'UNAUTHENTICATED')).toHaveLength(3);
    expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(9);
    expect(codesOf(await app.graphql(signin, { e: user.email, p: 'correct horse' }))).toEqual(['RATE_LIMITED']);
  });

  it('signinUser takes no Idempotency-Key, also inside a fragment: no session token is stored or replayed', async () => {
    const user = await app.signUp();
    const credentials = `email: { email: "${user.email}", password: "correct horse" }`;
    const queries = [
      `mutation { signinUser(${credentials}) { token } }`,
      `mutation { ... on Mutation { signinUser(${credentials}) { token } } }`,
      `mutation { ...SignIn } fragment SignIn on Mutation { signinUser(${credentials}) { token } }`,
    ];
    for (const [index, query] of queries.entries()) {
      const key = `signin-${Date.now()}-${index}`;
      const send = () =>
        fetch(`${app.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ query }),
        });
      for (const response of [await send(), await send()]) {
        expect(response.headers.get('idempotent-replayed'), query).toBeNull();
        const body = (await response.json()) as any;
        expect(codesOf(body), query).toEqual(['BAD_USER_INPUT']);
        expect(body.data?.signinUser?.token, query).toBeUndefined();
      }
      expect((await app.pool.query('select 1 from idempotency_key where key = $1', [key])).rows, query).toEqual([]);
    }
  });

  it('one request cannot hold many aliased sign-ins', async () => {
    const aliases = Array.from(
      { length: 50 },
      (_, i) => `a${i}: signinUser(email: { email: "x${i}@example.com", password: "p" }) { token }`,
    ).join(' ');
    const response = await app.graphql(`mutation { ${aliases} }`);
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('malformed JSON is HTTP 400, whatever the client accepts', async () => {
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const response = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: '{"query": ',
      });
      expect(response.status, accept).toBe(400);
      expect(codesOf((await response.json()) as any)).toEqual(['BAD_USER_INPUT']);
    }
  });
});

describe('the sign-in throttle per client address', () => {
  let app: TestPaygraph;
  beforeAll(async () => {
    app = await startTestPaygraph({ env: { SIGNIN_MAX_FAILURES_PER_ADDRESS: '2' } });
  });
  afterAll(() => app.stop());

  it('counts only failures: an address signs in successfully more often than its limit', async () => {
    const users = [await app.signUp(), await app.signUp(), await app.signUp()];
    for (const user of users) {
      const again = await app.graphql<{ signinUser: { token: string } }>(signin, { e: user.email, p: 'correct horse' });
      expect(again.errors).toBeUndefined();
      expect(again.data?.signinUser.token).toBeTruthy();
    }
  });

  it('concurrent wrong sign-ins to many accounts from one address get no more guesses than its limit', async () => {
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        app.graphql(signin, { e: `guess${i}-${Date.now()}@example.com`, p: 'wrong' }),
      ),
    );
    const codes = guesses.flatMap((guess) => codesOf(guess));
    expect(codes.filter((code) => code === 'UNAUTHENTICATED')).toHaveLength(2);
    expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(10);
  });
});

describe('production mode', () => {
  let app: TestPaygraph;
  beforeAll(async () => {
    app = await startTestPaygraph({ env: { NODE_ENV: 'production' } });
  });
  afterAll(() => app.stop());

  it('answers no introspection, no GraphiQL and no "Did you mean" suggestions', async () => {
    const introspection = await app.graphql('{ __schema { types { name } } }');
    expect(introspection.data ?? null).toBeNull();
    expect(new Set(codesOf(introspection))).toEqual(new Set(['BAD_USER_INPUT']));
    const typo = await app.graphql('{ allPurchase { id } }');
    expect(JSON.stringify(typo)).not.toMatch(/Did you mean/);
    const page = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/graphiql/i);
  });
});
