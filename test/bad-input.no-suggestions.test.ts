import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startTestPaygraph, type GraphQLResponse, type TestPaygraph } from './support/paygraph.js';

const signUp = (provider: string) =>
  `mutation($p: AuthProviderSignupData!) { createUser(name: "A", authProvider: ${provider}) { id } }`;
const misspeltProvider = { email: { emial: 'nobody@example.com', password: 'long enough' } };

// Each kind of mistake graphql-js would answer with a suggestion, in the document or in the variables.
const cases: { kind: string; query: string; variables?: Record<string, unknown>; idempotencyKey?: string }[] = [
  { kind: 'field', query: '{ me { emial } }' },
  { kind: 'argument', query: '{ allPurchases(frist: 1) { id } }' },
  { kind: 'type of a variable', query: 'query($a: Strin) { me { id } }' },
  { kind: 'enum value in the document', query: 'mutation { updatePurchase(id: "x", status: PAY) { id } }' },
  {
    kind: 'enum value in variables',
    query: 'mutation($s: PurchaseStatus) { updatePurchase(id: "x", status: $s) { id } }',
    variables: { s: 'PAY' },
  },
  {
    kind: 'input field in the document',
    query:
      'mutation { createUser(name: "A", authProvider: { email: { emial: "a@example.com", password: "long enough" } }) { id } }',
  },
  { kind: 'input field in variables', query: signUp('$p'), variables: { p: misspeltProvider } },
  {
    kind: 'input field in variables, with an Idempotency-Key',
    query: signUp('$p'),
    variables: { p: misspeltProvider },
    idempotencyKey: 'no-suggestions',
  },
];

async function send(
  app: TestPaygraph,
  { query, variables, idempotencyKey }: (typeof cases)[number],
): Promise<GraphQLResponse> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse;
}

describe('"Did you mean" suggestions', () => {
  let production: TestPaygraph;
  let development: TestPaygraph;
  beforeAll(async () => {
    [production, development] = await Promise.all([
      startTestPaygraph({ env: { NODE_ENV: 'production' }, roles: { api: true, worker: false } }),
      startTestPaygraph({ env: { NODE_ENV: 'development' }, roles: { api: true, worker: false } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([production?.stop(), development?.stop()]);
  });

  it.each(cases)('are off in production: $kind', async (mistake) => {
    const answer = await send(production, mistake);
    expect(codesOf(answer).length).toBeGreaterThan(0);
    expect(new Set(codesOf(answer))).toEqual(new Set(['BAD_USER_INPUT']));
    expect(JSON.stringify(answer)).not.toMatch(/did you mean/i);
  });

  // The same mistakes do get a suggestion where suggestions are on: the cases above test something.
  it.each(cases)('are given in development: $kind', async (mistake) => {
    const answer = await send(development, mistake);
    expect(JSON.stringify(answer)).toMatch(/Did you mean/);
  });
});
