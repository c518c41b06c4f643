import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startTestPaygraph, type TestPaygraph } from './support/paygraph.js';

// Every refused input gets a stable code, says nothing internal, and writes nothing.
describe('bad input', () => {
  let app: TestPaygraph;
  let user: { userId: string; token: string; email: string };
  beforeAll(async () => {
    app = await startTestPaygraph({ env: { MAX_QUERY_DEPTH: '6', MAX_QUERY_COST: '300', MAX_BODY_BYTES: '2000' } });
    user = await app.signUp();
  });
  afterAll(() => app.stop());

  const rowCounts = async () => ({
    users: await app.db.user.count(),
    cards: await app.db.cardDetails.count(),
    purchases: await app.db.purchase.count(),
    sessions: await app.db.session.count(),
  });

  const expectRefused = async (
    query: string,
    code: string,
    variables: Record<string, unknown> = {},
    token?: string,
  ) => {
    const before = await rowCounts();
    const response = await app.graphql(query, variables, token);
    expect(codesOf(response), query).toEqual([code]);
    const text = JSON.stringify(response);
    expect(text).not.toMatch(/prisma|postgres|select |insert |\bat \w+ \(|stack/i);
    expect(await rowCounts()).toEqual(before);
    return response;
  };

  const signUp =
    'mutation($name: String!, $email: String!, $password: String!) { createUser(name: $name, authProvider: { email: { email: $email, password: $password } }) { id } }';

  it.each([
    ['malformed email', { name: 'A', email: 'not-an-email', password: 'long enough' }],
    ['password under 8 characters', { name: 'A', email: 'short@example.com', password: 'short' }],
    ['empty name', { name: '   ', email: 'empty@example.com', password: 'long enough' }],
    ['over-long name', { name: 'x'.repeat(101), email: 'long@example.com', password: 'long enough' }],
  ])('sign-up with a %s is BAD_USER_INPUT', async (_case, variables) => {
    const response = await expectRefused(signUp, 'BAD_USER_INPUT', variables);
    expect(response.errors![0]!.message.length).toBeGreaterThan(5);
  });

  it('a duplicate email, in any case, is CONFLICT', async () => {
    await expectRefused(signUp, 'CONFLICT', { name: 'Dup', email: user.email.toUpperCase(), password: 'long enough' });
  });

  it('a wrong password and an unknown email get the same UNAUTHENTICATED answer', async () => {
    const signIn =
      'mutation($email: String!, $password: String!) { signinUser(email: { email: $email, password: $password }) { token } }';
    const wrong = await expectRefused(signIn, 'UNAUTHENTICATED', { email: user.email, password: 'wrong password' });
    const unknown = await expectRefused(signIn, 'UNAUTHENTICATED', {
      email: 'nobody@example.com',
      password: 'wrong password',
    });
    expect(wrong.errors![0]!.message).toBe(unknown.errors![0]!.message);
  });

  it('an unknown userId is refused for card details and purchases', async () => {
    await expectRefused(
      'mutation { createCardDetails(cardToken: "tok_visa", userId: "nope") { id } }',
      'FORBIDDEN',
      {},
      user.token,
    );
    await expectRefused(
      'mutation { createPurchase(amount: 1, description: "x", userId: "nope") { id } }',
      'FORBIDDEN',
      {},
      user.token,
    );
  });

  it.each([
    ['zero', 0],
    ['negative', -5],
    ['above 99999999', 100_000_000],
  ])('an amount that is %s is BAD_USER_INPUT', async (_case, amount) => {
    await expectRefused(
      'mutation($u: ID!, $a: Int!) { createPurchase(amount: $a, description: "x", userId: $u) { id } }',
      'BAD_USER_INPUT',
      { u: user.userId, a: amount },
      user.token,
    );
  });

  it('a fractional amount is refused by GraphQL itself', async () => {
    await expectRefused(
      'mutation($u: ID!) { createPurchase(amount: 10.5, description: "x", userId: $u) { id } }',
      'BAD_USER_INPUT',
      { u: user.userId },
      user.token,
    );
  });

  it('a description over 500 characters is BAD_USER_INPUT', async () => {
    await expectRefused(
      'mutation($u: ID!, $d: String!) { createPurchase(amount: 100, description: $d, userId: $u) { id } }',
      'BAD_USER_INPUT',
      { u: user.userId, d: 'x'.repeat(501) },
      user.token,
    );
  });

  it.each(['4242424242424242', 'card_123', 'tok_', 'tok_visa; drop table'])(
    'card token %j is BAD_USER_INPUT',
    async (cardToken) => {
      await expectRefused(
        'mutation($u: ID!, $t: String!) { createCardDetails(cardToken: $t, userId: $u) { id } }',
        'BAD_USER_INPUT',
        { u: user.userId, t: cardToken },
        user.token,
      );
    },
  );

  it('a malformed JSON body is BAD_USER_INPUT without echoing the parser', async () => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    const body = await response.json();
    expect(body.errors.map((e: any) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(body)).not.toContain('originalError');
  });

  it('an oversized body is refused before it is read', async () => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ me { id } } # ${'x'.repeat(3000)}` }),
    });
    expect(response.status).toBe(413);
    expect((await response.json()).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  // The limit is enforced before Yoga reads the body (src/server.ts): a body that declares no length
  // could be endless, so it is refused before any of it is read, whatever it would have done.
  it('a streamed body with no Content-Length is refused, and writes nothing', async () => {
    const before = await rowCounts();
    const mutation = JSON.stringify({
      query: `mutation($u: ID!) { createPurchase(amount: 700, description: "streamed", userId: $u) { id } }`,
      variables: { u: user.userId },
    });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${app.url}/graphql`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${user.token}`,
            'transfer-encoding': 'chunked',
          },
        },
        (res) => {
          let body = '';
          res
            .setEncoding('utf8')
            .on('data', (chunk: string) => (body += chunk))
            .on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write(mutation.slice(0, 40));
      req.end(mutation.slice(40));
    });
    expect(answer.status).toBe(411);
    expect(JSON.parse(answer.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await rowCounts()).toEqual(before);
  });

  it('a query deeper than the limit is refused', async () => {
    await expectRefused(
      '{ me { purchases { user { purchases { user { purchases { user { id } } } } } } } }',
      'BAD_USER_INPUT',
      {},
      user.token,
    );
  });

  it('a query costlier than the limit is refused', async () => {
    const wide = Array.from({ length: 40 }, (_, i) => `p${i}: purchases { id amount currency }`).join(' ');
    await expectRefused(`{ me { ${wide} } }`, 'BAD_USER_INPUT', {}, user.token);
  });
});
