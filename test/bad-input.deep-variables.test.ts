import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_VARIABLES_DEPTH } from '../src/request/reject-nul-bytes.js';
import { codesOf, startTestPaygraph, type GraphQLResponse, type TestPaygraph } from './support/paygraph.js';

/** Variables as JSON text, `depth` arrays deep: written by hand, as JSON.stringify would recurse. */
const nested = (depth: number) => `{"deep":${'['.repeat(depth)}"x"${']'.repeat(depth)}}`;

describe('deeply nested variables', () => {
  let app: TestPaygraph;
  beforeAll(async () => {
    app = await startTestPaygraph({ roles: { api: true, worker: false } });
  });
  afterAll(() => app.stop());

  const signUp =
    'mutation($n: String!) { createUser(name: $n, authProvider: { email: { email: \\"deep@example.com\\", password: \\"long enough\\" } }) { id } }';
  const post = async (
    variablesJson: string,
    { headers = {}, query = signUp }: { headers?: Record<string, string>; query?: string } = {},
  ) => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: `{"query":"${query}","variables":${variablesJson}}`,
    });
    return { status: response.status, body: (await response.json()) as GraphQLResponse };
  };

  it('20,000 levels are refused with a clear 400 before anything recurses into them, and the server still serves', async () => {
    for (const headers of [{}, { 'idempotency-key': 'deep-variables' }] as Record<string, string>[]) {
      const refused = await post(nested(20_000).replace('{', '{"n":"Deep",'), { headers });
      expect(refused.status).toBe(400);
      expect(codesOf(refused.body)).toEqual(['BAD_USER_INPUT']);
      expect(refused.body.errors![0]!.extensions!.reason).toBe('VARIABLES_TOO_DEEP');
      expect(refused.body.errors![0]!.message).toContain(String(MAX_VARIABLES_DEPTH));
    }
    expect(await app.db.user.count({ where: { email: 'deep@example.com' } })).toBe(0);
    const user = await app.signUp();
    expect((await app.graphql('{ me { id } }', {}, user.token)).data).toEqual({ me: { id: user.userId } });
  });

  it('the limit is exact: as deep as allowed passes, one level more is refused', async () => {
    // The variables object is the first level; a variable the operation does not declare is ignored.
    const allowed = await post(nested(MAX_VARIABLES_DEPTH - 1), { query: '{ __typename }' });
    expect(allowed.body).toEqual({ data: { __typename: 'Query' } });
    const refused = await post(nested(MAX_VARIABLES_DEPTH), { query: '{ __typename }' });
    expect(refused.body.errors![0]!.extensions!.reason).toBe('VARIABLES_TOO_DEEP');
  });
});
